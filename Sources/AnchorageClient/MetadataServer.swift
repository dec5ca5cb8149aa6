/// `serve`: placeholder until the IMDS emulation lands.
public final class MetadataServer: Sendable {
    public init(client: CreateSessionClient, port: Int, hopLimit: Int, refreshBefore: Int64, containerToken: String?,
                log: @escaping @Sendable (String) -> Void) throws(HelperError) {
        throw HelperError("serve is not implemented yet")
    }
    public func run(announce: (String) -> Void) throws {}
}
