internal import AnchorageCrypto
import AnchorageHTTP

/// `--with-proxy`: a connection to the endpoint through an HTTP proxy's `CONNECT` tunnel.
///
/// The same `HTTPClientConnection` (one TLS client, one response reader with its limits) connects
/// to the proxy without TLS, reads the proxy's answer to `CONNECT`, then starts TLS with the endpoint
/// over the tunnel, verifying the endpoint, not the proxy. Any byte the proxy sends after its answer
/// and before TLS is refused: only what arrives through TLS can come from the endpoint.
enum ProxyTunnel {
    /// A connection to `endpoint` through `proxy`, ready for the request.
    static func connect(
        proxy: ProxySettings, endpoint: Endpoint, tls: TLSClientConfiguration, timeout: Double, deadline: Double,
        limits: HTTPResponseLimits
    ) throws -> HTTPClientConnection {
        let connection = try HTTPClientConnection(
            host: proxy.host, port: proxy.port, tls: nil, timeout: timeout, limits: limits, deadline: deadline)
        do {
            let authority =
                endpoint.host.contains(":")
                ? "[\(endpoint.host)]:\(endpoint.port)" : "\(endpoint.host):\(endpoint.port)"
            var headers: HTTPHeaders = ["Host": authority]
            if let userInfo = proxy.userInfo {
                headers.add(name: "Proxy-Authorization", value: "Basic \(Base64.encode(Array(userInfo.utf8)))")
            }
            let answer = try connection.send(method: "CONNECT", target: authority, headers: headers, body: [])
            guard (200..<300).contains(answer.status) else {
                throw HTTPError("proxy \(proxy.host):\(proxy.port) refused CONNECT \(authority): HTTP \(answer.status)")
            }
            if endpoint.isTLS {
                try connection.startTLS(tls, host: endpoint.host)
            } else {
                try connection.expectNothingBuffered()
            }
            return connection
        } catch {
            connection.close()
            throw error
        }
    }
}
