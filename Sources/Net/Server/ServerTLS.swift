import NIOCore
import NIOSSL
import VireoStorage

/// The TLS setup both listeners share, loaded once from the configured PEM files.
public struct ServerTLS: Sendable {
    public let configuration: TLSConfiguration
    let context: NIOSSLContext

    /// nil when no certificate is configured; an error when only one of the two files is
    /// given or they cannot be read.
    public static func load(_ settings: ServerConfiguration) throws -> ServerTLS? {
        switch (settings.tlsCertificatePath, settings.tlsKeyPath) {
        case (nil, nil): return nil
        case (let certificatePath?, let keyPath?):
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
                let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
                let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
                return ServerTLS(configuration: configuration, context: try NIOSSLContext(configuration: configuration))
            } catch {
                throw VireoError(.invalidParameter, "cannot load the TLS certificate '\(certificatePath)' and key '\(keyPath)': \(error)")
            }
        default:
            throw VireoError(.invalidParameter, "TLS needs both a certificate (--tls-cert) and its private key (--tls-key)")
        }
    }
}

/// The first handler of a pgwire connection when TLS is on: answers an SSLRequest with
/// 'S' and puts TLS in front of the protocol decoder, then steps aside; any other first
/// message passes on unencrypted (as PostgreSQL allows with ssl=on).
final class PGSSLNegotiationHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let tls: NIOSSLContext
    private var received = ByteBuffer()

    init(tls: NIOSSLContext) { self.tls = tls }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        guard received.readableBytes >= 8,
              let length: Int32 = received.getInteger(at: received.readerIndex),
              let code: Int32 = received.getInteger(at: received.readerIndex + 4) else { return }
        if length == 8 && code == PGFrontendDecoder.sslRequestCode {
            received.moveReaderIndex(forwardBy: 8)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: [UInt8(ascii: "S")])), promise: nil)
            do {
                try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
            } catch {
                context.fireErrorCaught(error)
                return
            }
        }
        if received.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(received)) }
        received = ByteBuffer()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
