import Synchronization
import VireoStorage

/// LISTEN, UNLISTEN, NOTIFY and pg_notify, with PostgreSQL's semantics: a notification
/// reaches every session listening on its channel (the sender's too) when the sending
/// transaction commits (outside a block, when the statement ends), never after a
/// rollback; the same channel and payload sent twice in one transaction arrive once; LISTEN
/// and UNLISTEN also take effect at commit. The engine keeps the listeners (`NotificationHub`
/// on the Database) and each session's arrived notifications (`NotificationInbox`); a
/// server delivers them (pgwire writes NotificationResponse when the connection is idle),
/// an embedded caller reads them with `Session.takeNotifications()`.

/// A notification as a listener receives it.
public struct ChannelNotification: Sendable, Equatable {
    /// The sending session's backend process id (`pg_backend_pid()` there).
    public var processID: Int32
    public var channel: String
    public var payload: String

    public init(processID: Int32, channel: String, payload: String) {
        self.processID = processID
        self.channel = channel
        self.payload = payload
    }
}

/// The listeners of every channel, shared by a database's sessions.
public final class NotificationHub: Sendable {
    private struct Listener: @unchecked Sendable {
        weak var inbox: NotificationInbox?
    }

    private let channels = Mutex<[String: [ObjectIdentifier: Listener]]>([:])

    func listen(_ inbox: NotificationInbox, _ channel: String) {
        channels.withLock { $0[channel, default: [:]][ObjectIdentifier(inbox)] = Listener(inbox: inbox) }
    }

    func unlisten(_ inbox: NotificationInbox, _ channels: some Sequence<String>) {
        self.channels.withLock { all in
            for channel in channels {
                all[channel]?[ObjectIdentifier(inbox)] = nil
                if all[channel]?.isEmpty == true { all[channel] = nil }
            }
        }
    }

    /// Hands `notifications` (one transaction's, in the order sent) to the listeners of
    /// their channels, each listener's in that order, and wakes each listener once.
    func publish(_ notifications: [ChannelNotification]) {
        var byInbox: [ObjectIdentifier: (NotificationInbox, [ChannelNotification])] = [:]
        var order: [ObjectIdentifier] = []
        channels.withLock { all in
            for notification in notifications {
                for (id, listener) in all[notification.channel] ?? [:] {
                    guard let inbox = listener.inbox else { continue }
                    if byInbox[id] == nil {
                        order.append(id)
                        byInbox[id] = (inbox, [])
                    }
                    byInbox[id]!.1.append(notification)
                }
            }
        }
        for id in order {
            guard let (inbox, arrived) = byInbox[id] else { continue }
            inbox.receive(arrived)
        }
    }

    /// How many sessions listen on `channel` (tests).
    func listenerCount(_ channel: String) -> Int {
        channels.withLock { $0[channel]?.count ?? 0 }
    }
}

/// A session's committed LISTENs and the notifications that arrived for it and were not
/// taken yet. Any thread may read it; the hub appends to it from the sender's thread.
public final class NotificationInbox: Sendable {
    private struct State {
        /// The channels listened on, in the order first listened (pg_listening_channels).
        var channels: [String] = []
        var arrived: [ChannelNotification] = []
        var onArrival: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())
    private let arrivedCount = Atomic<Int>(0)

    /// Whether notifications wait to be taken: one atomic load, for a server to check at
    /// each ReadyForQuery.
    public var hasArrived: Bool { arrivedCount.load(ordering: .acquiring) > 0 }

    /// Takes the notifications that arrived, oldest first.
    public func take() -> [ChannelNotification] {
        guard hasArrived else { return [] }
        return state.withLock { state in
            let arrived = state.arrived
            state.arrived = []
            arrivedCount.store(0, ordering: .releasing)
            return arrived
        }
    }

    /// Calls `handler` (on the sender's thread, without waiting) after notifications
    /// arrive; nil stops that. A server wakes its idle connection with it.
    public func onArrival(_ handler: (@Sendable () -> Void)?) {
        state.withLock { $0.onArrival = handler }
    }

    /// The channels listened on.
    public var channels: [String] { state.withLock { $0.channels } }

    func receive(_ notifications: [ChannelNotification]) {
        let wake = state.withLock { state -> (@Sendable () -> Void)? in
            state.arrived.append(contentsOf: notifications)
            arrivedCount.store(state.arrived.count, ordering: .releasing)
            return state.onArrival
        }
        wake?()
    }

    /// Applies committed LISTENs and UNLISTENs, in order.
    func apply(_ actions: [NotificationQueue.ListenAction], hub: NotificationHub) {
        var added: [String] = []
        var removed: [String] = []
        state.withLock { state in
            for action in actions {
                switch action {
                case .listen(let channel):
                    guard !state.channels.contains(channel) else { continue }
                    state.channels.append(channel)
                    added.append(channel)
                    removed.removeAll { $0 == channel }
                case .unlisten(let channel?):
                    guard let index = state.channels.firstIndex(of: channel) else { continue }
                    state.channels.remove(at: index)
                    removed.append(channel)
                    added.removeAll { $0 == channel }
                case .unlisten(nil):
                    removed += state.channels
                    added = []
                    state.channels = []
                }
            }
        }
        for channel in added { hub.listen(self, channel) }
        if !removed.isEmpty { hub.unlisten(self, removed) }
    }

    /// Stops listening on every channel (the session ends).
    func unlistenAll(hub: NotificationHub) {
        let channels = state.withLock { state in
            let channels = state.channels
            state.channels = []
            return channels
        }
        if !channels.isEmpty { hub.unlisten(self, channels) }
    }
}

/// What the open transaction (or, outside a block, the running statement) sent and asked
/// for; published at its commit, dropped at its rollback.
struct NotificationQueue {
    enum ListenAction: Equatable {
        case listen(String)
        /// nil: UNLISTEN *.
        case unlisten(String?)
    }

    struct Key: Hashable {
        var channel: String
        var payload: String
    }

    var notifications: [ChannelNotification] = []
    var sent: Set<Key> = []
    var listenActions: [ListenAction] = []

    /// Queues a notification unless the same channel and payload is already queued.
    mutating func add(_ notification: ChannelNotification) {
        guard sent.insert(Key(channel: notification.channel, payload: notification.payload)).inserted else { return }
        notifications.append(notification)
    }
}

extension Session {
    /// PostgreSQL's limit on a payload, in bytes: 8000 and more is 22023.
    static let notificationPayloadBytesMax = 7999
    /// A channel name is an identifier: under NAMEDATALEN (64) bytes.
    static let channelNameBytesMax = 63

    /// NOTIFY and pg_notify: queues the notification for the transaction's commit.
    func notify(channel: String, payload: String) throws {
        guard !channel.isEmpty else { throw VireoError(.invalidParameter, "channel name cannot be empty") }
        guard channel.utf8.count <= Self.channelNameBytesMax else { throw VireoError(.invalidParameter, "channel name too long") }
        guard payload.utf8.count <= Self.notificationPayloadBytesMax else {
            throw VireoError(.invalidParameter, "payload string too long")
        }
        if inTransactionBlock, blockModes.readOnly == true {
            throw VireoError(.readOnly, "cannot execute NOTIFY in a read-only transaction")
        }
        if notificationQueue == nil { notificationQueue = NotificationQueue() }
        notificationQueue!.add(ChannelNotification(processID: backendProcessID, channel: channel, payload: payload))
    }

    /// LISTEN and UNLISTEN: queued for the transaction's commit.
    func queueListen(_ action: NotificationQueue.ListenAction) {
        if notificationQueue == nil { notificationQueue = NotificationQueue() }
        notificationQueue!.listenActions.append(action)
    }

    /// At the end of a statement outside a transaction block (a COMMIT's too): applies the
    /// queued LISTENs and UNLISTENs, then delivers the queued notifications, so a session
    /// that LISTENs and NOTIFYs in one transaction gets its own.
    func publishNotifications() {
        guard let queue = notificationQueue.take() else { return }
        if !queue.listenActions.isEmpty { notificationInbox.apply(queue.listenActions, hub: database.notifications) }
        if !queue.notifications.isEmpty { database.notifications.publish(queue.notifications) }
    }

    /// The notifications that arrived for this session and were not taken yet, oldest first
    /// (an embedded caller's way to read what LISTEN receives; a server delivers them itself).
    public func takeNotifications() -> [ChannelNotification] { notificationInbox.take() }

    /// The channels the session listens on (committed LISTENs), as pg_listening_channels() lists them.
    public var listeningChannels: [String] { notificationInbox.channels }
}

