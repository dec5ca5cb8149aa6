import AnchorageTestSupport
import Foundation
import Testing

/// What reaches the fake PKCS#11 module (`Tests/Fixtures/fake-pkcs11.c`): a `pin-value` that is not UTF-8
/// arrives at `C_Login` byte for byte, and the module is finalised only when this process initialised it.
extension HelperPKCS11Tests {
    /// Runs `sign-string` with the fake module in `mode` and the key URI `uri`; the result and the calls the
    /// module logged.
    static func fakeSignString(mode: String, uri: String) async throws -> (ProcessResult, [Substring]) {
        let module = try FakePKCS11Module.path()
        let run = try FakePKCS11Run(mode: mode)
        let result = try await runProcess(
            try HelperBinary.path(),
            ["sign-string", "--private-key", uri, "--pkcs11-lib", module, "--format", "text"],
            environment: run.environment, timeout: 30)
        return (result, run.calls())
    }

    @Test("a pin-value byte that is not UTF-8 (%FF) reaches C_Login unchanged")
    func nonUTF8PINReachesLogin() async throws {
        // CKR_PIN_INCORRECT: the PIN is offered once and refused.
        let (result, calls) = try await Self.fakeSignString(mode: "rv=0xA0", uri: "pkcs11:token=fake?pin-value=1%FF2")
        #expect(result.status == 1, "\(result.summary)")
        #expect(result.stderr.contains("wrong PIN for the PKCS#11 token \"fake\""), "\(result.summary)")
        #expect(!result.stderr.contains("1%FF2"), "\(result.summary)")
        #expect(calls.filter { $0.hasPrefix("pin=") } == ["pin=31ff32"], "\(calls)")
    }

    @Test("a token= byte that is not UTF-8 matches only that byte, not another that decodes to U+FFFD alike")
    func nonUTF8TokenAttribute() async throws {
        // The token's label is "fak" 0xFE: token=fak%FE is it (logged in to, and refused as locked) ...
        let (same, sameCalls) = try await Self.fakeSignString(mode: "labelfe", uri: "pkcs11:token=fak%FE?pin-value=1")
        #expect(same.status == 1, "\(same.summary)")
        #expect(same.stderr.contains("is locked (user PIN locked)"), "\(same.summary)")
        #expect(sameCalls.contains("C_Login"), "\(sameCalls)")
        // ... and token=fak%FF is not, although both bytes decode to U+FFFD as UTF-8.
        let (other, otherCalls) = try await Self.fakeSignString(
            mode: "labelfe", uri: "pkcs11:token=fak%FF?pin-value=1")
        #expect(other.status == 1, "\(other.summary)")
        #expect(other.stderr.contains("no PKCS#11 token matches the key URI"), "\(other.summary)")
        #expect(!otherCalls.contains("C_Login"), "\(otherCalls)")
    }

    struct InitializeCase: Sendable, CustomTestStringConvertible {
        /// FAKE_PKCS11_MODE.
        var mode: String
        var message: String
        /// Whether the helper's C_Initialize is its own, so the helper finalises the module.
        var finalized: Bool
        var testDescription: String { mode }
    }

    static let initializeCases: [InitializeCase] = [
        InitializeCase(
            mode: "initfail", message: "C_Initialize failed (CKR_GENERAL_ERROR)", finalized: false),
        // Another user of the module in the process initialised it: it is not finalised under that user.
        InitializeCase(
            mode: "initialized", message: "the PKCS#11 token \"fake\" is locked (user PIN locked)", finalized: false),
        // The same token initialised by the helper (C_Login refused alike) is finalised when the helper is done.
        InitializeCase(
            mode: "login", message: "the PKCS#11 token \"fake\" is locked (user PIN locked)", finalized: true),
    ]

    @Test(
        "C_Finalize only for a module the helper's own C_Initialize initialised", arguments: initializeCases)
    func finalizesOnlyOwnInitialization(_ initializeCase: InitializeCase) async throws {
        let (result, calls) = try await Self.fakeSignString(
            mode: initializeCase.mode, uri: "pkcs11:token=fake?pin-value=1234")
        #expect(result.status == 1, "\(result.summary)")
        #expect(result.stderr.contains(initializeCase.message), "\(result.summary)")
        #expect(calls.first == "C_Initialize", "\(calls)")
        #expect(calls.contains("C_Finalize") == initializeCase.finalized, "\(calls)")
    }

    @Test("a module whose function list has a NULL entry: a clear error naming it, never a call to it")
    func nullFunctionListEntry() async throws {
        let (result, calls) = try await Self.fakeSignString(mode: "nullentry", uri: "pkcs11:token=fake?pin-value=1234")
        #expect(result.status == 1, "\(result.summary)")
        #expect(
            result.stderr.contains("the PKCS#11 module's function list has no C_GetSlotList"), "\(result.summary)")
        #expect(result.stdout.isEmpty, "\(result.summary)")
        // Refused before C_Initialize: nothing to finalise.
        #expect(calls.isEmpty, "\(calls)")
    }
}
