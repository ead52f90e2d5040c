import Foundation
import VireoStorage

/// nextval, currval, lastval and setval. Sequence state is not transactional (Q1 in
/// Catalog+Sequences.swift): a write advances it through its transaction, which writes the
/// newest state when it commits; a read (a plain SELECT) advances it in the store and the
/// session writes the state once the statement ends (`persistSequencesAdvancedInReads`), so
/// either way the value survives a crash once the statement has returned.
extension Functions {
    static let sequenceFunctions: [ScalarFunction] = [
        sequenceFunction("nextval", 1...1, [.text]) { arguments, session, context in
            let definition = try sequence(arguments[0], context.data.catalog)
            return .int(try session.nextval(definition, context.data))
        },
        sequenceFunction("currval", 1...1, [.text]) { arguments, session, context in
            let definition = try sequence(arguments[0], context.data.catalog)
            guard let value = session.sequenceUse.currentValues[definition.name] else {
                throw VireoError(.objectNotInPrerequisiteState, "currval of sequence \"\(definition.name)\" is not yet defined in this session")
            }
            return .int(value)
        },
        sequenceFunction("lastval", 0...0, []) { _, session, _ in
            guard let name = session.sequenceUse.lastName, let value = session.sequenceUse.currentValues[name] else {
                throw VireoError(.objectNotInPrerequisiteState, "lastval is not yet defined in this session")
            }
            return .int(value)
        },
        sequenceFunction("setval", 2...3, [.text, .int, .bool]) { arguments, session, context in
            let definition = try sequence(arguments[0], context.data.catalog)
            let isCalled = arguments.count < 3 || arguments[2] == .bool(true)
            let value = try int(arguments[1])
            try session.setval(definition, definition.setState(value, isCalled: isCalled), context.data)
            return .int(value)
        },
    ] + transactionNumberFunctions

    /// txid_current() and pg_current_xact_id(): the transaction's number, drawn at the first
    /// call; the `_if_assigned` forms answer NULL before that (a write alone draws none).
    private static let transactionNumberFunctions: [ScalarFunction] = ["txid_current", "pg_current_xact_id"].flatMap { name in
        [
            sequenceFunction(name, 0...0, []) { _, session, context in .int(try session.transactionNumber(context.data)) },
            sequenceFunction(name + "_if_assigned", 0...0, []) { _, session, _ in session.assignedTransactionNumber.map(Value.int) ?? .null },
        ]
    }

    /// A strict, volatile function that reaches the session and the statement's data.
    private static func sequenceFunction(_ name: String, _ arity: ClosedRange<Int>, _ parameterTypes: [SQLType],
                                         _ body: @escaping @Sendable ([Value], Session, ExecutionContext) throws -> Value) -> ScalarFunction {
        var function = ScalarFunction(name, arity, parameterTypes, volatile: true, returns: .int) { _ in
            throw VireoError(.featureNotSupported, "\(name)() needs a session")
        }
        function.contextBody = { arguments, context in
            guard let session = context.session else { throw VireoError(.featureNotSupported, "\(name)() needs a session") }
            if arguments.contains(where: \.isNull) { return .null }
            return try body(arguments, session, context)
        }
        return function
    }

    /// The sequence a regclass argument names: its OID, or its name as text (`'s'`,
    /// `'public.s'`, `'"S"'`; unquoted names fold to lower case, as PostgreSQL's).
    static func sequence(_ argument: Value, _ catalog: Catalog) throws -> SequenceDefinition {
        if case .int(let oid) = argument {
            guard let found = catalog.allSequences.first(where: { SystemCatalog.oid(ofObject: $0.name) == oid }) else {
                throw VireoError(.undefinedTable, "could not open relation with OID \(oid)")
            }
            return found
        }
        let text = string(argument)
        let name = try relationName(text)
        if let found = catalog.sequence(named: name) { return found }
        if catalog.hasRelation(name) { throw VireoError(.wrongObjectType, "\"\(name)\" is not a sequence") }
        throw VireoError(.undefinedTable, "relation \"\(text)\" does not exist")
    }

    /// The relation name in `text` as regclass input reads it: `[schema.]name`, each part
    /// quoted or folded to lower case; a schema other than public names nothing here.
    static func relationName(_ text: String) throws -> String {
        var parts: [String] = []
        var current = "", quoted = false, wasQuoted = false
        var characters = Array(text.trimmingCharacters(in: .whitespaces))[...]
        while let character = characters.popFirst() {
            if character == "\"" {
                if quoted, characters.first == "\"" { current.append("\""); characters.removeFirst(); continue }
                quoted.toggle()
                wasQuoted = true
            } else if character == ".", !quoted {
                parts.append(wasQuoted ? current : current.lowercased())
                (current, wasQuoted) = ("", false)
            } else {
                current.append(character)
            }
        }
        parts.append(wasQuoted ? current : current.lowercased())
        guard parts.count <= 2, parts.count == 1 || parts[0] == "public" else {
            throw VireoError(.undefinedTable, "relation \"\(text)\" does not exist")
        }
        return parts[parts.count - 1]
    }
}

/// What a session remembers of the sequences it used: currval's value of each and the
/// last one (lastval), those advanced in reads, not yet written, and the number
/// txid_current() gave the open transaction.
struct SequenceUse {
    var currentValues: [String: Int64] = [:]
    var lastName: String?
    var advancedInReads: Set<String> = []
    var transactionNumber: Int64?
}

extension Session {
    /// nextval: through the statement's write transaction, or (a read) in the store itself.
    func nextval(_ definition: SequenceDefinition, _ data: DataAccess) throws -> Int64 {
        try refuseInReadOnlyBlock("nextval()")
        let value = try advance(definition, data)
        sequenceUse.currentValues[definition.name] = value
        sequenceUse.lastName = definition.name
        return value
    }

    /// Advances `definition` through the statement's write transaction, or (a read) in the
    /// store itself, noting it for `persistSequencesAdvancedInReads`.
    private func advance(_ definition: SequenceDefinition, _ data: DataAccess) throws -> Int64 {
        guard case .transaction(let transaction) = data else {
            sequenceUse.advancedInReads.insert(definition.name)
            return try database.store.nextSequenceValue(definition)
        }
        return try transaction.nextSequenceValue(definition)
    }

    /// txid_current(): the open transaction's number, drawn from a sequence of its own
    /// (`SequenceDefinition.transactionNumbers`) at the first call, so that numbers rise
    /// with every transaction that asks, differ between concurrent ones and keep rising
    /// after a restart. A READ ONLY block may ask too, as in PostgreSQL.
    func transactionNumber(_ data: DataAccess) throws -> Int64 {
        if let number = sequenceUse.transactionNumber { return number }
        let number = try advance(.transactionNumbers, data)
        sequenceUse.transactionNumber = number
        return number
    }

    /// The open transaction's number if txid_current() drew one.
    var assignedTransactionNumber: Int64? { sequenceUse.transactionNumber }

    /// Forgets the transaction's number and start time when it ends: at the end of a block,
    /// and after each statement outside one (a statement is its own transaction there).
    func endTransactionNumber() {
        if sequenceUse.transactionNumber != nil { sequenceUse.transactionNumber = nil }
        if transactionStartMicros != nil { transactionStartMicros = nil }
    }

    /// The transaction's start time, which now() and current_timestamp answer throughout it:
    /// BEGIN's time in a block, else the first reading in the statement.
    func transactionTimestamp() -> Int64 {
        if let transactionStartMicros { return transactionStartMicros }
        let now = Functions.currentMicros()
        transactionStartMicros = now
        return now
    }

    /// setval: the state holds at once for every session (and currval's value when is_called).
    func setval(_ definition: SequenceDefinition, _ state: SequenceState, _ data: DataAccess) throws {
        try refuseInReadOnlyBlock("setval()")
        if case .transaction(let transaction) = data {
            try transaction.setSequenceState(definition.name, state)
        } else {
            database.store.setSequenceState(definition.name, state)
            sequenceUse.advancedInReads.insert(definition.name)
        }
        if state.isCalled { sequenceUse.currentValues[definition.name] = state.lastValue }
    }

    /// 25006 in a READ ONLY transaction block, as PostgreSQL refuses nextval and setval there.
    private func refuseInReadOnlyBlock(_ function: String) throws {
        if inTransactionBlock, blockModes.readOnly == true {
            throw VireoError(.readOnly, "cannot execute \(function) in a read-only transaction")
        }
    }

    /// Writes the sequences a read advanced, in a small transaction of their own.
    func persistSequencesAdvancedInReads() throws {
        guard !sequenceUse.advancedInReads.isEmpty else { return }
        let names = sequenceUse.advancedInReads
        sequenceUse.advancedInReads = []
        try StoreTransaction.persistSequences(names, in: database.store)
    }
}
