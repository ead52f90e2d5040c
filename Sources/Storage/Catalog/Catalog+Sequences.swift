// Sequences (CREATE SEQUENCE, and the implicit sequence of a serial or identity column,
// named `<table>_<column>_seq` as PostgreSQL names it). Two catalog entries a sequence:
//
//   key "q/<name>"  value: JSON of SequenceDefinition (sorted keys). Absent for the
//                   implicit sequence of a serial column with default options (files written
//                   before sequences were objects have none): its definition is derived
//                   from the column (`Catalog.sequence(named:)`).
//   key "s/<name>"  value: its state, 8 bytes (little-endian Int64 last value, is_called
//                   true: the only form written before setval came, where 0 meant "none
//                   yet", which with increment 1 and start 1 means the same), or 9 bytes
//                   (the value, then 1 or 0 for is_called). Absent: never called, at START.
//
// Invariants:
//   Q1. A sequence's state is not transactional (as PostgreSQL's): a value handed out is
//       never handed out again in this process, whether its transaction commits or not,
//       and setval holds at once. The Store keeps the newest state in memory; each commit
//       that touched a sequence writes that state, so the newest committed one survives.
//   Q2. Its definition is transactional: CREATE, ALTER and DROP SEQUENCE are schema changes
//       (the writer gate), and a definition goes with the table column that owns it.
//   Q3. Sequences share the relation namespace with tables, indexes and views (C3).

import Foundation

/// A sequence's options, as pg_sequence holds them.
public struct SequenceDefinition: Codable, Sendable, Hashable {
    public var name: String
    /// "smallint", "integer" or "bigint" (pg_sequences.data_type).
    public var dataType: String
    public var start: Int64
    public var increment: Int64
    public var minValue: Int64
    public var maxValue: Int64
    public var cache: Int64
    public var cycle: Bool
    /// `OWNED BY table.column`: dropped with that column or table (serial and identity
    /// columns own theirs). Absent: owned by nothing.
    public var ownedByTable: String?
    public var ownedByColumn: String?

    /// A sequence of `dataType` with PostgreSQL's defaults: ascending from 1 to the type's maximum.
    public init(name: String, dataType: String = "bigint") {
        self.name = name
        self.dataType = dataType
        start = 1
        increment = 1
        minValue = 1
        maxValue = Self.typeMaximum(dataType)
        cache = 1
        cycle = false
    }

    /// The largest value a sequence of `dataType` may reach.
    public static func typeMaximum(_ dataType: String) -> Int64 {
        switch dataType {
        case "smallint": Int64(Int16.max)
        case "integer": Int64(Int32.max)
        default: Int64.max
        }
    }

    /// The counter txid_current() draws transaction numbers from (Session+Sequences in the
    /// query layer): a sequence like the others, so its state is durable as theirs is (Q1),
    /// kept under `s/` as theirs. Its name begins with a NUL byte, which no identifier a
    /// client sends can hold, so no statement names it and no catalog view lists it (it has
    /// no `q/` definition); a build without it loads the state and leaves it alone.
    public static let transactionNumbers = SequenceDefinition(name: "\u{0}transaction_numbers")

    /// The smallest value a sequence of `dataType` may reach.
    public static func typeMinimum(_ dataType: String) -> Int64 {
        switch dataType {
        case "smallint": Int64(Int16.min)
        case "integer": Int64(Int32.min)
        default: Int64.min
        }
    }

    /// The state of a sequence never called: nextval gives START.
    public var initialState: SequenceState { SequenceState(lastValue: start, isCalled: false) }

    /// The state after one nextval from `state` (PostgreSQL's nextval_internal); 2200H at a
    /// limit without CYCLE.
    public func advanced(from state: SequenceState) throws -> SequenceState {
        guard state.isCalled else { return SequenceState(lastValue: state.lastValue, isCalled: true) }
        let (next, overflow) = state.lastValue.addingReportingOverflow(increment)
        if increment > 0, overflow || next > maxValue {
            guard cycle else {
                throw VireoError(.sequenceGeneratorLimitExceeded, "nextval: reached maximum value of sequence \"\(name)\" (\(maxValue))")
            }
            return SequenceState(lastValue: minValue, isCalled: true)
        }
        if increment < 0, overflow || next < minValue {
            guard cycle else {
                throw VireoError(.sequenceGeneratorLimitExceeded, "nextval: reached minimum value of sequence \"\(name)\" (\(minValue))")
            }
            return SequenceState(lastValue: maxValue, isCalled: true)
        }
        return SequenceState(lastValue: next, isCalled: true)
    }

    /// Checks the options as CREATE and ALTER SEQUENCE do (22023).
    public func validate() throws {
        guard increment != 0 else { throw VireoError(.invalidParameter, "INCREMENT must not be zero") }
        let (low, high) = (Self.typeMinimum(dataType), Self.typeMaximum(dataType))
        guard minValue >= low, minValue <= high else {
            throw VireoError(.invalidParameter, "MINVALUE (\(minValue)) is out of range for sequence data type \(dataType)")
        }
        guard maxValue >= low, maxValue <= high else {
            throw VireoError(.invalidParameter, "MAXVALUE (\(maxValue)) is out of range for sequence data type \(dataType)")
        }
        guard minValue < maxValue else {
            throw VireoError(.invalidParameter, "MINVALUE (\(minValue)) must be less than MAXVALUE (\(maxValue))")
        }
        guard start >= minValue else {
            throw VireoError(.invalidParameter, "START value (\(start)) cannot be less than MINVALUE (\(minValue))")
        }
        guard start <= maxValue else {
            throw VireoError(.invalidParameter, "START value (\(start)) cannot be greater than MAXVALUE (\(maxValue))")
        }
        guard cache >= 1 else { throw VireoError(.invalidParameter, "CACHE (\(cache)) must be greater than zero") }
    }

    /// The state setval(name, value, isCalled) makes; 22003 outside MINVALUE..MAXVALUE.
    public func setState(_ value: Int64, isCalled: Bool) throws -> SequenceState {
        guard value >= minValue, value <= maxValue else {
            throw VireoError(.numericOutOfRange, "setval: value \(value) is out of bounds for sequence \"\(name)\" (\(minValue)..\(maxValue))")
        }
        return SequenceState(lastValue: value, isCalled: isCalled)
    }
}

/// Where a sequence stands: its last value and whether nextval has given it (is_called).
public struct SequenceState: Sendable, Hashable {
    public var lastValue: Int64
    public var isCalled: Bool

    public init(lastValue: Int64, isCalled: Bool) {
        self.lastValue = lastValue
        self.isCalled = isCalled
    }

    /// The catalog entry's bytes: 8 when is_called (the older form), else 9.
    var encoded: [UInt8] {
        let bytes = withUnsafeBytes(of: lastValue.littleEndian) { Array($0) }
        return isCalled ? bytes : bytes + [0]
    }

    /// The state an entry's bytes hold; nil for a length no build wrote.
    static func decode(_ value: UnsafeRawBufferPointer) -> SequenceState? {
        guard value.count == 8 || value.count == 9 else { return nil }
        return SequenceState(lastValue: value.loadLE(at: 0), isCalled: value.count == 8 || value[8] != 0)
    }
}

extension Catalog {
    static let sequenceDefinitionPrefix = "q/"

    /// The sequence called `name`: a stored definition, or the implicit one of a serial or
    /// identity column; nil when none has that name.
    public func sequence(named name: String) -> SequenceDefinition? {
        if let definition = sequenceDefinitions[name] { return definition }
        if name == SequenceDefinition.transactionNumbers.name { return .transactionNumbers }
        // Every commit that drew a value asks (StoreTransaction.writeCatalogChanges): only
        // tables whose name begins the sequence's are looked into.
        guard name.hasSuffix("_seq") else { return nil }
        for table in tables.values where name.hasPrefix(table.name) {
            for column in table.columns where column.isSerial && StoreTransaction.sequenceName(table: table.name, column: column.name) == name {
                return Self.implicitSequence(table: table.name, column: column)
            }
        }
        return nil
    }

    /// The sequence a serial or identity column draws from.
    public func serialSequence(table: String, column: ColumnDefinition) -> SequenceDefinition {
        let name = StoreTransaction.sequenceName(table: table, column: column.name)
        return sequenceDefinitions[name] ?? Self.implicitSequence(table: table, column: column)
    }

    /// Every sequence, stored or implicit, by name.
    public var allSequences: [SequenceDefinition] {
        var found = sequenceDefinitions
        for table in tables.values {
            for column in table.columns where column.isSerial {
                let name = StoreTransaction.sequenceName(table: table.name, column: column.name)
                if found[name] == nil { found[name] = Self.implicitSequence(table: table.name, column: column) }
            }
        }
        return found.values.sorted { $0.name < $1.name }
    }

    /// The default sequence of a serial column: its integer type's range, owned by it.
    static func implicitSequence(table: String, column: ColumnDefinition) -> SequenceDefinition {
        let dataType = switch column.type {
        case .smallint: "smallint"
        case .integer: "integer"
        default: "bigint"
        }
        var definition = SequenceDefinition(name: StoreTransaction.sequenceName(table: table, column: column.name), dataType: dataType)
        definition.ownedByTable = table
        definition.ownedByColumn = column.name
        return definition
    }

    static func decodeSequence(_ value: UnsafeRawBufferPointer, path: String) throws -> SequenceDefinition {
        try decode(SequenceDefinition.self, value, path: path, what: "sequence")
    }
}

extension StoreTransaction {
    /// Creates sequence `definition` (or replaces the stored options of an existing one when
    /// `replace`: ALTER SEQUENCE, or identity options on a new column).
    public func setSequence(_ definition: SequenceDefinition, replace: Bool = false) throws {
        try step {
            try definition.validate()
            if !replace, catalog.hasRelation(definition.name) {
                throw VireoError(.duplicateTable, "relation \"\(definition.name)\" already exists")
            }
            assert(pages.holdsGate, "a schema change outside the writer gate")
            if !replace {
                // A sequence of this name dropped or rolled back before starts afresh.
                store.forgetSequence(definition.name)
                catalog.sequences[definition.name] = nil
            }
            catalog.sequenceDefinitions[definition.name] = definition
            catalog.noteSchemaChange()
        }
    }

    /// DROP SEQUENCE: its definition and its state.
    public func dropSequenceObject(_ name: String) throws {
        try step {
            guard catalog.sequenceDefinitions[name] != nil || catalog.sequence(named: name) != nil else {
                throw VireoError(.undefinedTable, "sequence \"\(name)\" does not exist")
            }
            dropSequence(name)
        }
    }

    /// setval: the sequence's state, at once and for every transaction (Q1).
    public func setSequenceState(_ name: String, _ state: SequenceState) throws {
        try step {
            store.setSequenceState(name, state)
            catalog.sequences[name] = state
            changedSequences.insert(name)
        }
    }

    /// The sequences whose state this transaction changed (nextval, setval).
    public var sequencesChanged: Set<String> { changedSequences }

    /// The sequence's current state (what the next nextval advances from).
    public func sequenceState(_ definition: SequenceDefinition) -> SequenceState {
        store.sequenceState(definition.name) ?? catalog.sequences[definition.name] ?? definition.initialState
    }

    /// Writes the stored sequence definitions that differ from the committed catalog (the
    /// transaction holds the writer gate, so nothing else changed them since it began).
    func writeSequenceDefinitionChanges() throws {
        try writeEntryChanges(prefix: Catalog.sequenceDefinitionPrefix, committed: store.catalog.sequenceDefinitions,
                              current: catalog.sequenceDefinitions)
    }

    /// Persists the states of `names` in a transaction of its own: nextval called outside
    /// a write (a plain SELECT), or in one that rolled back, still holds after a crash.
    public static func persistSequences(_ names: Set<String>, in store: Store) throws {
        guard !names.isEmpty else { return }
        let transaction = try store.beginTransaction()
        var live = Set<String>()
        for name in names where transaction.catalog.sequence(named: name) != nil {
            guard let state = store.sequenceState(name) else { continue }
            transaction.catalog.sequences[name] = state
            live.insert(name)
        }
        transaction.changedSequences = live
        do { try transaction.commit() } catch {
            transaction.rollback()
            throw error
        }
    }
}
