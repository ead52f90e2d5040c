import NIOCore

/// What answers a connection's messages on its event loop while its task waits
/// (`PGConnection`); see `PGChannelPort.handleImmediately`.
protocol PGImmediateHandler: AnyObject, Sendable {
    /// Handles `message` now; false leaves it, untouched, to the task.
    func handleImmediately(_ message: PGFrontendMessage) throws -> Bool
    /// Writes and flushes the answers of the batches handled so far: called once all of a
    /// read's messages were offered, and before a message goes to the task.
    func writeAnswered() throws
}

/// A pgwire connection's end of its channel: the frontend messages in the order they
/// arrived, and a way to write. It replaces NIOAsyncChannel, whose async-sequence producer
/// and writer (locks, a continuation and an event-loop hop for each element) cost more CPU
/// than the engine does for a point lookup. It decodes the messages itself from the bytes
/// the socket (or TLS) hands it (`PGFrontendDecoder.next(from:)`): no ByteToMessageHandler,
/// pipeline hop, NIOAny box and cast per message.
///
/// The connection's task prefers the channel's event loop (`EventLoopTaskExecutor`), so
/// `next()` returns a message that has already arrived without suspending, and `write`
/// writes at once. All state is touched on the event loop only; calls from elsewhere hop
/// there first.
///
/// While the task waits in `next()` with nothing buffered, a message that arrives is first
/// offered to `immediate`, which answers it right there in `channelRead` when it can (a
/// prepared point select's Bind, Describe, Execute and Sync): no promise, continuation or
/// task resumption per message. What it declines goes to the task, so messages are still
/// handled one at a time and in order. The answers of all the batches one read brought
/// (pipelined Syncs) go out in one write and flush at the end of the read.
final class PGChannelPort: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Messages held before the channel stops reading from the socket.
    static let bufferedMessagesMax = 64

    let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private var decoder: PGFrontendDecoder
    /// Bytes read that do not make a whole message yet.
    private var partial: ByteBuffer?
    /// Set once the input broke the protocol: what is read after is dropped.
    private var inputFailed = false
    private var messages = CircularBuffer<PGFrontendMessage>()
    /// The task waiting in `next()` for a message.
    private var reader: EventLoopPromise<PGFrontendMessage?>?
    /// The task waiting in `write` for the channel to take more.
    private var writer: EventLoopPromise<Void>?
    /// Set when the channel ends: nil after a clean close, else the error that ended it.
    private var ending: Result<Void, any Error>?
    /// A read the pipeline asked for while `messages` was full; issued once it drains.
    private var readHeld = false
    private var closed = false
    /// Handles messages on the event loop without the task. Called only while the task waits
    /// in `next()` and nothing is buffered, so the connection's state is never touched by both
    /// at once. An error it throws ends the connection as one thrown by the task's handling
    /// would. Set with `handleImmediately`.
    private var immediate: (any PGImmediateHandler)?
    /// `immediate` answered messages of this read; their answers may wait in its output.
    private var answersPending = false
    /// Runs on the event loop while the task waits in `next()` with nothing buffered, after
    /// `wakeWhenIdle` (notifications arrived): the connection writes them then. Set with `whenIdle`.
    private var idle: (@Sendable () throws -> Void)?
    /// `wakeWhenIdle` came while the task was busy: `idle` runs when it next waits.
    private var wokenWhileBusy = false
    /// The client's address, read when the channel is added.
    private(set) var remoteAddress: SocketAddress?

    init(eventLoop: any EventLoop, messageBytesMax: Int = ServerConfiguration().messageBytesMax) {
        self.eventLoop = eventLoop
        decoder = PGFrontendDecoder(messageBytesMax: messageBytesMax)
    }

    // MARK: The connection's side

    /// The next message; nil once the client has gone and every message was taken.
    /// Throws the error that broke the channel (a malformed message, say) after the
    /// messages that came before it, and CancellationError when the connection's task is
    /// cancelled while it waits (the server is shutting down: an idle client must not hold
    /// it up).
    func next() async throws -> PGFrontendMessage? {
        let onLoop = eventLoop.inEventLoop
        if onLoop, !messages.isEmpty { return take() }
        let promise = eventLoop.makePromise(of: PGFrontendMessage?.self)
        return try await withTaskCancellationHandler {
            if onLoop { deliver(to: promise) } else { eventLoop.execute { self.deliver(to: promise) } }
            return try await promise.futureResult.get()
        } onCancel: {
            // Runs after `deliver` on the same loop, so the promise is either answered or waiting.
            eventLoop.execute { self.cancelWaiting(promise) }
        }
    }

    /// Writes and flushes `bytes`; returns once the channel will take more (so a large
    /// result waits for a slow client instead of piling up in memory).
    func write(_ bytes: ByteBuffer) async throws {
        if eventLoop.inEventLoop {
            if let wait = try writeNow(bytes) { try await wait.get() }
            return
        }
        try await writeFromElsewhere(bytes).get()
    }

    /// `write` for a thread that is not the event loop (an engine thread streaming a
    /// result): blocks until the channel will take more, so the result's rows wait for a
    /// slow client instead of piling up in memory.
    func writeWaiting(_ bytes: ByteBuffer) throws {
        precondition(!eventLoop.inEventLoop, "writeWaiting would block the event loop")
        try writeFromElsewhere(bytes).wait()
    }

    /// Hops to the event loop to write; the future succeeds once the channel will take more.
    private func writeFromElsewhere(_ bytes: ByteBuffer) -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            do { return try self.writeNow(bytes) ?? self.eventLoop.makeSucceededVoidFuture() } catch {
                return self.eventLoop.makeFailedFuture(error)
            }
        }
    }

    /// Sets (or with nil, clears) `immediate`.
    func handleImmediately(with handler: (any PGImmediateHandler)?) {
        if eventLoop.inEventLoop { immediate = handler } else { eventLoop.execute { self.immediate = handler } }
    }

    /// Sets (or with nil, clears) `idle`.
    func whenIdle(_ handler: (@Sendable () throws -> Void)?) {
        if eventLoop.inEventLoop { idle = handler } else { eventLoop.execute { self.idle = handler } }
    }

    /// From any thread: runs `idle` on the event loop now if the task waits for a message
    /// with nothing buffered, else as soon as it does.
    func wakeWhenIdle() {
        eventLoop.execute {
            self.wokenWhileBusy = true
            self.runIdleIfWaiting()
        }
    }

    private func runIdleIfWaiting() {
        guard wokenWhileBusy, reader != nil, messages.isEmpty, ending == nil, let idle else { return }
        wokenWhileBusy = false
        do {
            try idle()
        } catch {
            guard let waiting = reader else { return }
            reader = nil
            waiting.fail(error)
        }
    }

    /// Writes and flushes `bytes` from the event loop, without waiting for the channel to
    /// drain (`immediate` runs only while the channel is writable, and its answers are small).
    func writeImmediately(_ bytes: ByteBuffer) throws {
        eventLoop.preconditionInEventLoop()
        guard let context, !closed else { throw ChannelError.ioOnClosedChannel }
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    /// Closes the channel from the event loop; the task waiting in `next()` then gets nil.
    func closeImmediately() {
        eventLoop.preconditionInEventLoop()
        context?.close(promise: nil)
    }

    /// Ends the connection from any thread (pg_terminate_backend): the messages already
    /// read are still handed out, then `next()` throws CancellationError, which the
    /// connection answers with FATAL 57P01, as at shutdown.
    func terminate() {
        eventLoop.execute { self.end(.failure(CancellationError())) }
    }

    /// Closes the channel.
    func close() async {
        try? await eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            guard let context = self.context else { return self.eventLoop.makeSucceededVoidFuture() }
            return context.close()
        }.get()
    }

    private func take() -> PGFrontendMessage {
        let message = messages.removeFirst()
        if readHeld, messages.count < Self.bufferedMessagesMax / 2, let context {
            readHeld = false
            context.read()
        }
        return message
    }

    private func cancelWaiting(_ promise: EventLoopPromise<PGFrontendMessage?>) {
        guard let reader, reader.futureResult === promise.futureResult else { return }
        self.reader = nil
        promise.fail(CancellationError())
    }

    private func deliver(to promise: EventLoopPromise<PGFrontendMessage?>) {
        if !messages.isEmpty { return promise.succeed(take()) }
        switch ending {
        case .success?: promise.succeed(nil)
        case .failure(let error)?: promise.fail(error)
        case nil:
            reader = promise
            if wokenWhileBusy { runIdleIfWaiting() }
        }
    }

    private func writeNow(_ bytes: ByteBuffer) throws -> EventLoopFuture<Void>? {
        guard let context, !closed else { throw ChannelError.ioOnClosedChannel }
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        guard !context.channel.isWritable else { return nil }
        let promise = eventLoop.makePromise(of: Void.self)
        writer = promise
        return promise.futureResult
    }

    private func end(_ result: Result<Void, any Error>) {
        guard ending == nil else { return }
        ending = result
        if let reader {
            self.reader = nil
            deliver(to: reader)
        }
        if let writer {
            self.writer = nil
            writer.fail(ChannelError.ioOnClosedChannel)
        }
    }

    // MARK: The pipeline's side

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        remoteAddress = context.channel.remoteAddress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closed = true
        end(.success(()))
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !inputFailed else { return }
        var bytes = unwrapInboundIn(data)
        if var held = partial {
            partial = nil
            held.writeBuffer(&bytes)
            bytes = held
        }
        do {
            while let message = try decoder.next(from: &bytes) { receive(message, context: context) }
        } catch {
            // The messages before the broken one are still handed out, then the error.
            inputFailed = true
            writeAnswers()
            return end(.failure(error))
        }
        // Kept only while a message is incomplete: the read buffer is then the socket's to reuse.
        if bytes.readableBytes > 0 { partial = bytes }
        // One write and flush for all the batches this read answered.
        writeAnswers()
        if wokenWhileBusy { runIdleIfWaiting() }
    }

    /// Has `immediate` write the answers it holds, while the task still waits; an error is the task's.
    private func writeAnswers() {
        guard answersPending, let reader, let immediate else { return }
        answersPending = false
        do {
            try immediate.writeAnswered()
        } catch {
            guard self.reader != nil else { return }
            self.reader = nil
            reader.fail(error)
        }
    }

    /// One message: answered at once by `immediate` when the task waits and it can, else
    /// handed to the waiting task or queued.
    private func receive(_ message: PGFrontendMessage, context: ChannelHandlerContext) {
        if reader != nil {
            if messages.isEmpty, ending == nil, context.channel.isWritable, let immediate {
                do {
                    if try immediate.handleImmediately(message) {
                        answersPending = true
                        return
                    }
                } catch {
                    // `immediate` may have closed the channel, which answered the reader already.
                    guard let waiting = self.reader else { return }
                    self.reader = nil
                    return waiting.fail(error)
                }
            }
            // The answers before this message go out before the task handles it.
            writeAnswers()
            guard let reader = self.reader else { return messages.append(message) }
            self.reader = nil
            reader.succeed(message)
        } else {
            messages.append(message)
        }
    }

    func read(context: ChannelHandlerContext) {
        if messages.count >= Self.bufferedMessagesMax {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let writer {
            self.writer = nil
            writer.succeed(())
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        end(.success(()))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        end(.failure(error))
    }
}
