/// The checks of one CreateSession that depend on the requests before it — replay, and the rate limits —
/// gathered once the request verified and was authorized, to be decided in one step by an ``AdmissionStore``.
///
/// Keys are present for every check the request is subject to; the store applies those its settings enable.
public struct AdmissionBatch: Sendable, Equatable {
    /// The per-source bucket (``RequestAdmission/sourceKey(_:)``); nil when the store checked it before
    /// parsing (``AdmissionStore/checksSourceInBatch`` false).
    public var sourceKey: LimitKey?
    /// The per-certificate bucket: the first 16 bytes of the leaf's SHA-256 fingerprint.
    public var certificateKey: LimitKey
    /// The request's replay identity (``RequestAdmission/replayKey(certificateSHA256:stringToSign:signature:algorithm:)``).
    public var replayKey: LimitKey
    /// When the signature stops being acceptable anyway: `X-Amz-Date` plus the allowed clock skew
    /// (seconds since the Unix epoch); the replay entry lives until then.
    public var replayExpiresAt: Int64
    /// The decision's wall-clock time, seconds since the Unix epoch.
    public var now: Int64

    public init(
        sourceKey: LimitKey?, certificateKey: LimitKey, replayKey: LimitKey, replayExpiresAt: Int64, now: Int64
    ) {
        self.sourceKey = sourceKey
        self.certificateKey = certificateKey
        self.replayKey = replayKey
        self.replayExpiresAt = replayExpiresAt
        self.now = now
    }
}

/// What an ``AdmissionStore`` decided for an ``AdmissionBatch``.
public enum AdmissionVerdict: Sendable, Equatable {
    /// Every check passed and the request is recorded as used: mint.
    case admitted
    /// Refused: throttled, replayed, or the replay cache is full (the detail is for the audit log only).
    case denied(DenialReason, detail: String)
    /// The store could not decide (the shared store is unreachable or its deadline passed): refuse with
    /// 503 and `shared_state_unavailable`.
    case unavailable(detail: String)
}

/// Where replay and rate-limit state lives: in this process (``RequestAdmission``) or shared by every
/// replica (`serve --shared-state`, a Redis script that applies the same rules).
///
/// The order of the checks is the same in every store, so a request gets the same answer from either:
/// 1. the per-source bucket (when it is part of the batch);
/// 2. replay: a request already recorded is refused (`replayed_request`), spending no certificate token;
/// 3. the per-certificate bucket (`throttled_certificate`);
/// 4. the request is recorded as used until ``AdmissionBatch/replayExpiresAt``, atomically with step 2.
///
/// A refused request is not recorded, so a client may send it again unchanged.
public protocol AdmissionStore: Sendable {
    /// The limits this store applies.
    var settings: RequestAdmission.Settings { get }
    /// Whether ``admit(_:completion:)`` takes the per-source token itself. When false, the caller asks
    /// ``admitSourceEarly(_:)`` before any parsing or cryptography, and leaves the batch's source key nil.
    var checksSourceInBatch: Bool { get }
    /// The per-source check before parsing: nil when `address` may proceed (always nil for a store that
    /// checks the source in the batch), else the `throttled_source` outcome to audit and answer.
    func admitSourceEarly(_ address: String) -> CreateSessionOutcome?
    /// Decides `batch`; `completion` runs exactly once — at once, on the caller's thread, for the embedded
    /// store; later, on another thread, for a shared one.
    func admit(_ batch: AdmissionBatch, completion: @escaping @Sendable (AdmissionVerdict) -> Void)
}
