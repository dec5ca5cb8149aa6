import AnchorageCrypto
import Glibc

/// A PKCS#11 module loaded with `dlopen`, called through its `CK_FUNCTION_LIST`.
///
/// No vendor header is used: the few types needed are `CK_ULONG` values (Swift `UInt` on LP64 Linux,
/// where `unsigned long` is 64 bits), pointers, and the function list, which is a `CK_VERSION` (two bytes,
/// padded to pointer alignment) followed by function pointers in the order PKCS#11 v2.40 fixes.
/// Callers serialise access (`PKCS11Token` holds a lock); the module is initialised for OS locking anyway.
final class PKCS11Module: @unchecked Sendable {
    typealias RV = UInt

    /// Positions in `CK_FUNCTION_LIST` (after `version`).
    private enum Slot: Int, CaseIterable {
        case initialize = 0, finalize = 1, getInfo = 2, getSlotList = 4, getSlotInfo = 5, getTokenInfo = 6,
            openSession = 12, closeSession = 13,
            login = 18, getAttributeValue = 24, findObjectsInit = 26, findObjects = 27, findObjectsFinal = 28,
            signInit = 42, sign = 43

        /// The function's PKCS#11 name, for the error when the module leaves its entry NULL.
        var name: String {
            switch self {
            case .initialize: "C_Initialize"
            case .finalize: "C_Finalize"
            case .getInfo: "C_GetInfo"
            case .getSlotList: "C_GetSlotList"
            case .getSlotInfo: "C_GetSlotInfo"
            case .getTokenInfo: "C_GetTokenInfo"
            case .openSession: "C_OpenSession"
            case .closeSession: "C_CloseSession"
            case .login: "C_Login"
            case .getAttributeValue: "C_GetAttributeValue"
            case .findObjectsInit: "C_FindObjectsInit"
            case .findObjects: "C_FindObjects"
            case .findObjectsFinal: "C_FindObjectsFinal"
            case .signInit: "C_SignInit"
            case .sign: "C_Sign"
            }
        }
    }

    let path: String
    private let handle: UnsafeMutableRawPointer
    private let functions: UnsafeRawPointer
    /// Whether this object's `C_Initialize` initialised the module: only then does `deinit` finalise it. Not
    /// when the call failed (Swift runs `deinit` when `init` throws after every property is set), nor when it
    /// found the module initialised by another user in the process, whose library it must not finalise.
    private let ownsInitialization: Bool

    /// Loads `path` (a file, or a name the dynamic loader finds) and calls `C_Initialize`.
    init(path: String) throws(HelperError) {
        self.path = path
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw HelperError("cannot load the PKCS#11 module \(path): \(reason)")
        }
        guard let symbol = dlsym(handle, "C_GetFunctionList") else {
            dlclose(handle)
            throw HelperError("\(path) is not a PKCS#11 module (no C_GetFunctionList)")
        }
        typealias GetFunctionList = @convention(c) (UnsafeMutablePointer<UnsafeRawPointer?>?) -> RV
        var list: UnsafeRawPointer?
        let rv = unsafeBitCast(symbol, to: GetFunctionList.self)(&list)
        guard rv == 0, let list else {
            dlclose(handle)
            throw HelperError("\(path): C_GetFunctionList failed (\(PKCS11Module.name(of: rv)))")
        }
        // Every entry used is checked once, here: a NULL one is a clear error, never a call to address 0.
        for slot in Slot.allCases where Self.entry(list, slot) == nil {
            dlclose(handle)
            throw HelperError("\(path): the PKCS#11 module's function list has no \(slot.name)")
        }
        // CK_C_INITIALIZE_ARGS: four mutex callbacks (NULL), flags = CKF_OS_LOCKING_OK, pReserved = NULL.
        let args = UnsafeMutableRawPointer.allocate(byteCount: 6 * 8, alignment: 8)
        defer { args.deallocate() }
        args.initializeMemory(as: UInt.self, repeating: 0, count: 6)
        args.storeBytes(of: 2, toByteOffset: 4 * 8, as: UInt.self)
        typealias Initialize = @convention(c) (UnsafeMutableRawPointer?) -> RV
        let initialize = unsafeBitCast(Self.entry(list, .initialize)!, to: Initialize.self)
        let initRV = initialize(args)
        // 0x191 CKR_CRYPTOKI_ALREADY_INITIALIZED: another user of the module in this process got there first.
        guard initRV == 0 || initRV == 0x191 else {
            dlclose(handle)
            throw HelperError("\(path): C_Initialize failed (\(PKCS11Module.name(of: initRV)))")
        }
        self.handle = handle
        self.functions = list
        self.ownsInitialization = initRV == 0
    }

    deinit {
        typealias Finalize = @convention(c) (UnsafeMutableRawPointer?) -> RV
        if ownsInitialization { _ = function(.finalize, as: Finalize.self)(nil) }
        dlclose(handle)
    }

    /// The function-list entry `slot`; nil when the module left it NULL.
    private static func entry(_ list: UnsafeRawPointer, _ slot: Slot) -> UnsafeRawPointer? {
        let stride = MemoryLayout<UnsafeRawPointer>.stride
        return list.load(fromByteOffset: stride + stride * slot.rawValue, as: UnsafeRawPointer?.self)
    }

    /// An entry `init` found non-NULL.
    private func function<F>(_ slot: Slot, as type: F.Type) -> F {
        unsafeBitCast(Self.entry(functions, slot)!, to: type)
    }

    /// More slots than any real module has: a larger count is a broken module, not a buffer to allocate.
    static let maximumSlots: UInt = 1024

    /// The error for a count or length the module reported that does not fit the buffer it was given (or
    /// any sane one): nothing it wrote is used.
    func invalidLength(_ call: String) -> HelperError {
        HelperError("\(path): the PKCS#11 module returned an invalid length (\(call))")
    }

    /// Slots holding a token.
    func slotsWithToken() throws(HelperError) -> [UInt] {
        typealias GetSlotList = @convention(c) (UInt8, UnsafeMutablePointer<UInt>?, UnsafeMutablePointer<UInt>?) -> RV
        let call = function(.getSlotList, as: GetSlotList.self)
        var count: UInt = 0
        try check(call(1, nil, &count), "C_GetSlotList")
        guard count <= Self.maximumSlots else { throw invalidLength("C_GetSlotList") }
        var slots = [UInt](repeating: 0, count: Int(count))
        count = UInt(slots.count)
        try check(slots.withUnsafeMutableBufferPointer { call(1, $0.baseAddress, &count) }, "C_GetSlotList")
        guard count <= UInt(slots.count) else { throw invalidLength("C_GetSlotList") }
        return Array(slots.prefix(Int(count)))
    }

    /// `CK_SLOT_INFO`'s blank-padded strings, as bytes without their padding.
    struct SlotInfo {
        var description: [UInt8]
        var manufacturer: [UInt8]
    }

    func slotInfo(slot: UInt) throws(HelperError) -> SlotInfo {
        typealias GetSlotInfo = @convention(c) (UInt, UnsafeMutableRawPointer?) -> RV
        // CK_SLOT_INFO is 104 bytes on LP64: slotDescription[64], manufacturerID[32], flags, two versions.
        let info = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
        defer { info.deallocate() }
        info.initializeMemory(as: UInt8.self, repeating: 0, count: 256)
        try check(function(.getSlotInfo, as: GetSlotInfo.self)(slot, info), "C_GetSlotInfo")
        return SlotInfo(description: Self.paddedBytes(info, 0, 64), manufacturer: Self.paddedBytes(info, 64, 32))
    }

    /// `CK_INFO`: the module's manufacturer, description and version (`major.minor`).
    struct LibraryInfo {
        var manufacturer: [UInt8]
        var description: [UInt8]
        var major: UInt8
        var minor: UInt8
    }

    func libraryInfo() throws(HelperError) -> LibraryInfo {
        typealias GetInfo = @convention(c) (UnsafeMutableRawPointer?) -> RV
        // CK_INFO is 88 bytes on LP64: cryptokiVersion, manufacturerID[32] at 2, flags at 40,
        // libraryDescription[32] at 48, libraryVersion at 80.
        let info = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
        defer { info.deallocate() }
        info.initializeMemory(as: UInt8.self, repeating: 0, count: 256)
        try check(function(.getInfo, as: GetInfo.self)(info), "C_GetInfo")
        return LibraryInfo(
            manufacturer: Self.paddedBytes(info, 2, 32), description: Self.paddedBytes(info, 48, 32),
            major: info.load(fromByteOffset: 80, as: UInt8.self), minor: info.load(fromByteOffset: 81, as: UInt8.self))
    }

    /// A blank-padded PKCS#11 string field, without its padding: the bytes as the module wrote them (matched
    /// byte for byte against a URI's attribute, never decoded for a comparison).
    private static func paddedBytes(_ base: UnsafeMutableRawPointer, _ offset: Int, _ length: Int) -> [UInt8] {
        unpadded(UnsafeRawBufferPointer(start: base + offset, count: length))
    }

    /// `field` less its trailing blanks (and NULs, which some modules pad with).
    static func unpadded(_ field: some Collection<UInt8>) -> [UInt8] {
        var bytes = Array(field)
        while let last = bytes.last, last == 0x20 || last == 0 { bytes.removeLast() }
        return bytes
    }

    /// A token, slot or library field for a message: decoded for display only, terminal controls escaped.
    static func shown(_ field: [UInt8]) -> String { TerminalText.escaped(String(decoding: field, as: UTF8.self)) }

    /// `CK_TOKEN_INFO`'s blank-padded strings and flags.
    struct TokenInfo {
        var label: [UInt8]
        var manufacturer: [UInt8]
        var model: [UInt8]
        var serial: [UInt8]
        var flags: UInt

        var loginRequired: Bool { flags & 0x4 != 0 }
        var pinLocked: Bool { flags & 0x40000 != 0 }  // CKF_USER_PIN_LOCKED
        var protectedAuthenticationPath: Bool { flags & 0x100 != 0 }
    }

    func tokenInfo(slot: UInt) throws(HelperError) -> TokenInfo {
        typealias GetTokenInfo = @convention(c) (UInt, UnsafeMutableRawPointer?) -> RV
        // CK_TOKEN_INFO is 208 bytes on LP64; a larger buffer costs nothing and tolerates padding surprises.
        let info = UnsafeMutableRawPointer.allocate(byteCount: 512, alignment: 8)
        defer { info.deallocate() }
        info.initializeMemory(as: UInt8.self, repeating: 0, count: 512)
        try check(function(.getTokenInfo, as: GetTokenInfo.self)(slot, info), "C_GetTokenInfo")
        func text(_ offset: Int, _ length: Int) -> [UInt8] { Self.paddedBytes(info, offset, length) }
        return TokenInfo(
            label: text(0, 32), manufacturer: text(32, 32), model: text(64, 16), serial: text(80, 16),
            flags: info.load(fromByteOffset: 96, as: UInt.self))
    }

    /// A read-only serial session.
    func openSession(slot: UInt) throws(HelperError) -> UInt {
        typealias OpenSession =
            @convention(c) (
                UInt, UInt, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt>?
            ) -> RV
        var session: UInt = 0
        try check(function(.openSession, as: OpenSession.self)(slot, 4, nil, nil, &session), "C_OpenSession")
        return session
    }

    func closeSession(_ session: UInt) {
        typealias CloseSession = @convention(c) (UInt) -> RV
        _ = function(.closeSession, as: CloseSession.self)(session)
    }

    /// `C_Login`; returns the raw result so callers can tell a wrong PIN from a locked one.
    func login(_ session: UInt, userType: UInt, pin: PINBytes) -> RV {
        typealias Login = @convention(c) (UInt, UInt, UnsafeMutablePointer<UInt8>?, UInt) -> RV
        let call = function(.login, as: Login.self)
        return pin.withBytes { bytes in call(session, userType, bytes.baseAddress, UInt(bytes.count)) }
    }

    /// An attribute search template entry.
    enum TemplateValue {
        case ulong(UInt)
        case bytes([UInt8])
    }

    /// Objects matching every (type, value) pair of `template`, at most `limit`.
    func findObjects(_ session: UInt, _ template: [(UInt, TemplateValue)], limit: Int = 1000) throws(HelperError)
        -> [UInt]
    {
        typealias FindInit = @convention(c) (UInt, UnsafeMutableRawPointer?, UInt) -> RV
        typealias Find = @convention(c) (UInt, UnsafeMutablePointer<UInt>?, UInt, UnsafeMutablePointer<UInt>?) -> RV
        typealias FindFinal = @convention(c) (UInt) -> RV
        // Values live in one buffer the CK_ATTRIBUTE array points into, for the duration of C_FindObjectsInit.
        var values: [UInt8] = []
        var offsets: [(type: UInt, offset: Int, length: Int)] = []
        for (type, value) in template {
            let bytes: [UInt8]
            switch value {
            case .ulong(let number): bytes = withUnsafeBytes(of: number) { Array($0) }
            case .bytes(let raw): bytes = raw
            }
            while values.count % 8 != 0 { values.append(0) }
            offsets.append((type, values.count, bytes.count))
            values += bytes
        }
        let attributes = UnsafeMutableRawPointer.allocate(byteCount: max(1, offsets.count) * 24, alignment: 8)
        defer { attributes.deallocate() }
        let initRV = values.withUnsafeMutableBytes { buffer -> RV in
            for (index, entry) in offsets.enumerated() {
                attributes.storeBytes(of: entry.type, toByteOffset: index * 24, as: UInt.self)
                let pointer = entry.length == 0 ? nil : buffer.baseAddress.map { $0 + entry.offset }
                attributes.storeBytes(of: pointer, toByteOffset: index * 24 + 8, as: UnsafeMutableRawPointer?.self)
                attributes.storeBytes(of: UInt(entry.length), toByteOffset: index * 24 + 16, as: UInt.self)
            }
            return function(.findObjectsInit, as: FindInit.self)(session, attributes, UInt(offsets.count))
        }
        try check(initRV, "C_FindObjectsInit")
        defer { _ = function(.findObjectsFinal, as: FindFinal.self)(session) }
        // Batches until the module has no more (or `limit` are found); a count above the batch is a broken module.
        let batch = 64
        var found: [UInt] = []
        var buffer = [UInt](repeating: 0, count: batch)
        while found.count < limit {
            var count: UInt = 0
            try check(
                buffer.withUnsafeMutableBufferPointer {
                    function(.findObjects, as: Find.self)(session, $0.baseAddress, UInt(batch), &count)
                }, "C_FindObjects")
            guard count <= UInt(batch) else { throw invalidLength("C_FindObjects") }
            found += buffer.prefix(Int(count))
            if Int(count) < batch { break }
        }
        return found
    }

    /// One attribute's value; nil when the object does not have it (or hides it).
    func attribute(_ session: UInt, object: UInt, type: UInt) throws(HelperError) -> [UInt8]? {
        typealias GetAttributeValue = @convention(c) (UInt, UInt, UnsafeMutableRawPointer?, UInt) -> RV
        let call = function(.getAttributeValue, as: GetAttributeValue.self)
        let attribute = UnsafeMutableRawPointer.allocate(byteCount: 24, alignment: 8)
        defer { attribute.deallocate() }
        attribute.storeBytes(of: type, toByteOffset: 0, as: UInt.self)
        attribute.storeBytes(of: nil, toByteOffset: 8, as: UnsafeMutableRawPointer?.self)
        attribute.storeBytes(of: 0, toByteOffset: 16, as: UInt.self)
        let sizeRV = call(session, object, attribute, 1)
        // CKR_ATTRIBUTE_SENSITIVE (0x11) and CKR_ATTRIBUTE_TYPE_INVALID (0x12): the object has no such value.
        if sizeRV == 0x11 || sizeRV == 0x12 { return nil }
        try check(sizeRV, "C_GetAttributeValue")
        let length = attribute.load(fromByteOffset: 16, as: UInt.self)
        // CK_UNAVAILABLE_INFORMATION (~0): no value; any other length beyond 1 MiB is a broken module.
        if length == UInt.max { return nil }
        guard length <= 1 << 20 else { throw invalidLength("C_GetAttributeValue") }
        var value = [UInt8](repeating: 0, count: Int(length))
        let rv = value.withUnsafeMutableBytes { buffer -> RV in
            attribute.storeBytes(of: buffer.baseAddress, toByteOffset: 8, as: UnsafeMutableRawPointer?.self)
            attribute.storeBytes(of: UInt(buffer.count), toByteOffset: 16, as: UInt.self)
            return call(session, object, attribute, 1)
        }
        try check(rv, "C_GetAttributeValue")
        let written = attribute.load(fromByteOffset: 16, as: UInt.self)
        guard written <= UInt(value.count) else { throw invalidLength("C_GetAttributeValue") }
        return Array(value.prefix(Int(written)))
    }

    /// `C_SignInit` with a parameterless mechanism.
    func signInit(_ session: UInt, mechanism: UInt, key: UInt) -> RV {
        typealias SignInit = @convention(c) (UInt, UnsafeMutableRawPointer?, UInt) -> RV
        let mech = UnsafeMutableRawPointer.allocate(byteCount: 24, alignment: 8)
        defer { mech.deallocate() }
        mech.storeBytes(of: mechanism, toByteOffset: 0, as: UInt.self)
        mech.storeBytes(of: nil, toByteOffset: 8, as: UnsafeMutableRawPointer?.self)
        mech.storeBytes(of: 0, toByteOffset: 16, as: UInt.self)
        return function(.signInit, as: SignInit.self)(session, mech, key)
    }

    /// `C_Sign` of `data` (a digest or DigestInfo), after `signInit`.
    func sign(_ session: UInt, data: [UInt8]) throws(HelperError) -> [UInt8] {
        typealias Sign =
            @convention(c) (
                UInt, UnsafeMutablePointer<UInt8>?, UInt, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt>?
            ) -> RV
        let call = function(.sign, as: Sign.self)
        var input = data
        // 1024 bytes hold an RSA-8192 signature; on CKR_BUFFER_TOO_SMALL the operation stays active.
        var output = [UInt8](repeating: 0, count: 1024)
        var length = UInt(output.count)
        var rv = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer {
                call(session, inp.baseAddress, UInt(inp.count), $0.baseAddress, &length)
            }
        }
        if rv == 0x150 {
            guard length > UInt(output.count), length <= 1 << 16 else { throw invalidLength("C_Sign") }
            output = [UInt8](repeating: 0, count: Int(length))
            rv = input.withUnsafeMutableBufferPointer { inp in
                output.withUnsafeMutableBufferPointer {
                    call(session, inp.baseAddress, UInt(inp.count), $0.baseAddress, &length)
                }
            }
        }
        try check(rv, "C_Sign")
        // A length beyond the buffer would be a signature cut short (or memory the module overran).
        guard length <= UInt(output.count) else { throw invalidLength("C_Sign") }
        return Array(output.prefix(Int(length)))
    }

    private func check(_ rv: RV, _ call: String) throws(HelperError) {
        guard rv == 0 else { throw HelperError("\(path): \(call) failed (\(PKCS11Module.name(of: rv)))") }
    }

    /// The `CKR_` name of the results a user may meet, else the number.
    static func name(of rv: RV) -> String {
        let names: [UInt: String] = [
            0x5: "CKR_GENERAL_ERROR", 0x6: "CKR_FUNCTION_FAILED", 0x7: "CKR_ARGUMENTS_BAD",
            0x30: "CKR_DEVICE_ERROR", 0x32: "CKR_DEVICE_REMOVED", 0x63: "CKR_KEY_TYPE_INCONSISTENT",
            0x68: "CKR_KEY_FUNCTION_NOT_PERMITTED", 0x70: "CKR_MECHANISM_INVALID", 0xA0: "CKR_PIN_INCORRECT",
            0xA2: "CKR_PIN_LEN_RANGE", 0xA3: "CKR_PIN_EXPIRED", 0xA4: "CKR_PIN_LOCKED",
            0xB3: "CKR_SESSION_HANDLE_INVALID", 0xE0: "CKR_TOKEN_NOT_PRESENT", 0xE1: "CKR_TOKEN_NOT_RECOGNIZED",
            0x101: "CKR_USER_NOT_LOGGED_IN", 0x150: "CKR_BUFFER_TOO_SMALL",
            0x190: "CKR_CRYPTOKI_NOT_INITIALIZED",
        ]
        return names[rv] ?? "CKR 0x\(String(rv, radix: 16))"
    }
}
