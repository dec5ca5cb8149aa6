public import AnchorageCore
import AnchorageCrypto
public import AnchorageRedis

/// The Redis form of ``AdmissionStore``'s decision: one Lua script, run atomically by Redis, so one
/// CreateSession costs one command and one round trip, and replicas share one bucket per key.
///
/// It applies the steps of ``AdmissionStore`` in the same order as ``RequestAdmission/decide(_:)``, with
/// the same token-bucket arithmetic as ``TokenBucketLimiter`` (a bucket holds `tokens` and the instant it
/// was `updated`, one string `"<tokens> <updated µs>"` per key: one `GET` and one `SET … PX` per bucket; it refills by elapsed seconds × rate up to the burst; the elapsed time is computed from
/// nanoseconds as the Swift code does, so both give the same doubles). A differential test runs one random
/// sequence through both (`AdmissionScriptDifferentialTests`).
///
/// * The clock is Redis's (`TIME`), so replicas whose clocks differ still share one refill schedule; the
///   test passes its own instants instead (`ARGV[1]`).
/// * A bucket key expires when the bucket would be full again — a full bucket and a missing one are the
///   same — so Redis holds only active buckets.
/// * A replay entry expires one second after ``AdmissionBatch/replayExpiresAt`` (the embedded cache keeps
///   it through that second, inclusive). Redis must not evict it: run it with `maxmemory-policy noeviction`
///   (a full Redis then refuses the write, and the request fails closed).
public enum AdmissionScript {
    public static let source = """
        local now
        if ARGV[1] == '' then
          local t = redis.call('TIME')
          now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        else
          now = tonumber(ARGV[1])
        end
        local function take(key, rate, burst)
          local bucket = redis.call('GET', key)
          local tokens, updated
          if bucket then
            local space = string.find(bucket, ' ', 1, true)
            tokens = tonumber(string.sub(bucket, 1, space - 1))
            updated = tonumber(string.sub(bucket, space + 1))
          end
          if tokens == nil or updated == nil then
            tokens = burst
            updated = now
          elseif now > updated then
            tokens = math.min(burst, tokens + ((now - updated) * 1000) / 1e9 * rate)
            updated = now
          end
          local allowed = tokens >= 1
          if allowed then tokens = tokens - 1 end
          redis.call('SET', key, string.format('%.17g %d', tokens, updated), 'PX',
            math.ceil((burst - tokens) / rate * 1000) + 1000)
          return allowed
        end
        local sourceRate, sourceBurst = tonumber(ARGV[2]), tonumber(ARGV[3])
        local certificateRate, certificateBurst = tonumber(ARGV[4]), tonumber(ARGV[5])
        local replayMilliseconds = tonumber(ARGV[6])
        if sourceBurst > 0 and not take(KEYS[1], sourceRate, sourceBurst) then return 1 end
        if replayMilliseconds > 0 and redis.call('EXISTS', KEYS[3]) == 1 then return 2 end
        if certificateBurst > 0 and not take(KEYS[2], certificateRate, certificateBurst) then return 3 end
        if replayMilliseconds > 0 then redis.call('SET', KEYS[3], '1', 'PX', replayMilliseconds) end
        return 0
        """

    /// The script's SHA-1, for `EVALSHA`.
    public static let sha1: String = Hex.encode(Digest.hash(Array(source.utf8), name: "SHA1") ?? [])

    /// The `EVALSHA` (or, with `inline`, `EVAL`) of `batch` under `settings`; `nowMicroseconds` replaces
    /// Redis's clock (tests only).
    public static func command(
        _ batch: AdmissionBatch, settings: RequestAdmission.Settings, inline: Bool = false,
        nowMicroseconds: UInt64? = nil
    ) -> RedisCommand {
        func hex(_ key: LimitKey) -> String {
            Hex.encode(
                (0..<8).map { UInt8(truncatingIfNeeded: key.high >> (56 - 8 * UInt64($0))) }
                    + (0..<8).map { UInt8(truncatingIfNeeded: key.low >> (56 - 8 * UInt64($0))) })
        }
        let source = batch.sourceKey.flatMap { key in settings.perSource.map { (key, $0) } }
        let certificate = settings.perCertificate
        // The replay entry lives through the whole second `replayExpiresAt`, like the embedded cache's.
        let replayMilliseconds =
            settings.replayProtection ? max(1, (batch.replayExpiresAt - batch.now + 1) * 1000) : 0
        return RedisCommand(
            inline ? "EVAL" : "EVALSHA",
            arguments: [
                inline ? Self.source : sha1, "3",
                SharedStateKeys.sourceBucketPrefix + (source.map { hex($0.0) } ?? "-"),
                SharedStateKeys.certificateBucketPrefix + hex(batch.certificateKey),
                SharedStateKeys.replayPrefix + hex(batch.replayKey),
                nowMicroseconds.map(String.init) ?? "",
                number(source?.1.rate ?? 0), number(source?.1.burst ?? 0),
                number(certificate?.rate ?? 0), number(certificate?.burst ?? 0),
                String(replayMilliseconds),
            ])
    }

    /// The verdict of the script's reply; anything but the integers 0-3 is a failure to decide (never a
    /// decision): the caller treats it as the store being unavailable.
    public static func verdict(_ reply: RESPValue) -> AdmissionVerdict {
        switch reply {
        case .integer(0): return .admitted
        case .integer(1): return .denied(.throttledSource, detail: "source is over its shared limit")
        case .integer(2): return .denied(.replayedRequest, detail: "this signed request was already accepted")
        case .integer(3): return .denied(.throttledCertificate, detail: "certificate is over its shared limit")
        case .error(let message):
            return .unavailable(detail: "Redis refused the admission script: \(message.prefix(200))")
        default:
            return .unavailable(detail: "unexpected reply to the admission script")
        }
    }

    /// A rate or burst as the script reads it (shortest exact decimal).
    static func number(_ value: Double) -> String { "\(value)" }
}
