import VireoStorage

/// What an INSERT works out from its text and the schema before it touches a row: the
/// target table and columns, each VALUES expression bound and coerced to its column's type
/// (or the bound query), the defaults, generated columns, ON CONFLICT and RETURNING.
/// A prepared INSERT keeps it (`PlanCache`) while the schema stays the same, so that each
/// execution only evaluates its values and stores the rows. A class, so that handing the
/// cached plan to an execution is one retain, not a copy of each of its references.
final class InsertPlan {
    enum Source {
        /// Per VALUES row, the given (non-DEFAULT) values: table column and bound item.
        case values([[(position: Int, item: ValuesItem)]])
        /// A VALUES list of literals (and DEFAULTs) only: its rows as stored, one value per
        /// table column, each literal through its column's assignment cast; NULL where
        /// `absentPositions` leaves the column to its default.
        case literalRows([[Value]])
        case defaultValues
        /// A query's plan; its columns go to `targets` in order.
        case query(PlanNode, columnCount: Int)
    }

    let table: TableDefinition
    let through: UpdatableView?
    let targets: [Int]
    private(set) var source: Source
    let defaults: [BoundExpression]
    /// The domain checks of the table's domain columns, each over the whole new row (nil
    /// when it has none): every inserted row passes them, whichever path made it (a literal
    /// VALUES list, parameters taken as sent, a query, COPY), after its defaults are filled.
    let domainChecks: [BoundExpression]?
    let generated: GeneratedColumns
    let conflict: ConflictHandler?
    let returning: ReturningList
    let checksForeignKeys: Bool
    /// The table columns each source row leaves to their default (absent or DEFAULT):
    /// one list per VALUES row, or one for every row of a query or DEFAULT VALUES.
    private let absentPositions: [[Int]]
    /// The table's column types by position, read once (each read through the table's
    /// definition copied the type, with its references, for every value of every row).
    private let columnTypes: [ColumnType]
    /// Per table column, the value kind its assignment cast hands back unchanged (nil: none).
    private let plainAssignments: [PlainAssignment?]
    /// A one-row VALUES list of parameters only, each bound to its column's own type (a
    /// prepared INSERT's, most times): where each parameter goes, found once. Its row is then
    /// made without copying each bound item and comparing its type at every execution.
    private let parameterSlots: [ParameterSlot]?
    /// Whether the row `parameterSlots` makes is stored as it is made: every other column
    /// defaults to a plain NULL, and nothing fills, checks or returns anything more (no
    /// generated column, CHECK, domain, ON CONFLICT, RETURNING, view, foreign key or trigger).
    /// Such a row needs no execution context (`rowStoredAsSent`).
    private(set) var storesParameterRowAsMade = false
    /// Whether the table has a vector index, whose change tree notes each new row.
    let notesVectorChanges: Bool
    /// Whether later executions may reuse the plan: nothing in it was bound against data
    /// that can change without a schema change (a WITH entry's rows, another table read by
    /// a subquery, whose vector index may be stale in this session).
    let isReusable: Bool

    /// Binds `statement`; `binder` already holds the rows of its data-modifying WITH entries.
    init(_ statement: Insert, catalog: Catalog, binder: Binder) throws {
        let through = try UpdatableView.resolve(statement.table, .insert, catalog: catalog, binder: binder)
        self.through = through
        let table = try through?.table ?? catalog.changedTable(statement.table, verb: "insert into")
        self.table = table
        let targets = try through.map { try Self.viewTargetColumns(statement.columns, $0, source: statement.source) }
            ?? Self.targetColumns(statement.columns, table)
        self.targets = targets
        columnTypes = table.columns.map(\.type)
        let plainAssignments = table.columns.map { PlainAssignment($0.type) }
        self.plainAssignments = plainAssignments
        // A VALUES list of literals is made straight into its rows; anything else (or any
        // error) takes the general path, which reports errors in their usual order.
        let direct = Self.directLiteralRows(statement.source, targets: targets, table: table, overriding: statement.overriding)
        let source = try direct.map { .literalRows($0.rows) }
            ?? Self.bindSource(statement.source, targets: targets, table: table, overriding: statement.overriding, binder: binder)
        self.source = source
        absentPositions = direct?.absent ?? Self.absentPositions(source, targets: targets, width: table.columns.count)
        parameterSlots = Self.parameterSlots(source, plainAssignments)
        conflict = try statement.onConflict.map {
            try ConflictHandler(onConflict: $0, table: table, through: through, alias: statement.alias, binder: binder)
        }
        returning = try through.map { try ReturningList(statement.returning, through: $0, alias: statement.alias, binder: binder) }
            ?? ReturningList(statement.returning, table: table, alias: statement.alias, binder: binder)
        defaults = try table.columns.map { try TableBuilder.defaultExpression($0, catalog: catalog) }
        let domainColumns = table.columns.indices.filter { table.columns[$0].domain != nil }
        domainChecks = domainColumns.isEmpty ? nil
            : try domainColumns.map { try binder.domainAssigned(.column($0), to: table.columns[$0]) }
        generated = try GeneratedColumns(table, catalog: catalog)
        checksForeignKeys = ForeignKeyEnforcer.applies(to: table.name, catalog)
        isReusable = statement.with == nil && binder.relationsRead.names.isEmpty && !binder.relationsRead.catalogRows
        notesVectorChanges = Session.hasVectorIndex(table)
        // Last, so that what binding the rest of the statement throws still comes first,
        // as when the casts ran with the statement.
        if direct == nil, let rows = try Self.literalRows(source, table: table) { self.source = .literalRows(rows) }
        storesParameterRowAsMade = parameterSlots != nil && through == nil && conflict == nil && returning.items.isEmpty
            && domainChecks == nil && generated.isEmpty && !checksForeignKeys && table.triggerDefinitions == nil
            && absentPositions[0].allSatisfy { Self.defaultsToNull(table.columns[$0], defaults[$0]) }
    }

    /// The rows `literalRows` makes of a VALUES list of literals and DEFAULTs, and each
    /// row's absent columns, made straight from the statement's literals: binding them into
    /// per-row lists of items first, then the rows, then freeing the lists, was half of a
    /// bulk INSERT's plan. Nil when an item is an expression, when a value is refused, and
    /// when anything throws: the general path then binds the list and throws what it
    /// throws, in its order (binding errors first, assignment casts last).
    private static func directLiteralRows(_ source: InsertSource, targets: [Int], table: TableDefinition,
                                          overriding: Insert.Overriding?) -> (rows: [[Value]], absent: [[Int]])? {
        let width = table.columns.count
        guard case .values(let rows) = source, let first = rows.first, first.count <= targets.count, width <= 64 else { return nil }
        let columns = targets.prefix(first.count).map { table.columns[$0] }
        let types = columns.map { SQLType($0.type) }
        let skipped = columns.map { overriding == .user && $0.identity != nil }
        let refused = columns.map { column in (try? GeneratedColumns.refuseValue(for: column, overriding: overriding)) == nil }
        let plain = columns.map { PlainAssignment($0.type) }
        let everyColumn: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
        var stored: [[Value]] = []
        var absent: [[Int]] = []
        stored.reserveCapacity(rows.count)
        absent.reserveCapacity(rows.count)
        do {
            for items in rows {
                guard items.count == first.count else { return nil }
                var row = PlanExecutor.nullRow(width)
                var given: UInt64 = 0
                for index in items.indices {
                    guard case .expression(let expression) = items[index] else { continue }
                    if skipped[index] { continue }
                    guard !refused[index], case .literal(let literal) = expression else { return nil }
                    let position = targets[index]
                    if let kind = plain[index], let value = kind.storedValue(of: literal) {
                        row[position] = value
                    } else {
                        try checkAssignment(of: literal, to: columns[index])
                        let value = try value(of: literal, coercedTo: types[index])
                        row[position] = plain[index]?.passes(value) == true ? value : try Cast.assign(value, to: columns[index].type)
                    }
                    given |= 1 << UInt64(position)
                }
                stored.append(row)
                absent.append(given == everyColumn ? [] : (0..<width).filter { given & (1 << UInt64($0)) == 0 })
            }
        } catch {
            return nil
        }
        return (stored, absent)
    }

    /// The rows of a VALUES list made only of literals (and DEFAULTs), as
    /// `sourceRows` would make them: each literal's value through its column's assignment
    /// cast, in the same order, so that the same value fails first with the same error.
    /// A literal's value is the same at every execution (`Cast.assign` of a literal's type,
    /// or of the column's own type that binding gave a string literal, depends on no
    /// setting), so a kept plan keeps them. Nil when an item is an expression.
    private static func literalRows(_ source: Source, table: TableDefinition) throws -> [[Value]]? {
        guard case .values(let rows) = source else { return nil }
        for values in rows {
            for (_, item) in values { guard case .value = item else { return nil } }
        }
        let width = table.columns.count
        let types = table.columns.map(\.type)
        return try rows.map { values in
            var row = PlanExecutor.nullRow(width)
            for (position, item) in values {
                guard case .value(let value) = item else { preconditionFailure("checked above") }
                row[position] = try Cast.assign(value, to: types[position])
            }
            return row
        }
    }

    /// The inserted rows, one value per table column; the columns `absentPositions(row:)`
    /// names hold NULL until their defaults fill them. (Rows of optional values, completed
    /// into a second array, cost every inserted row two arrays.)
    func sourceRows(_ context: ExecutionContext) throws -> [[Value]] {
        let width = table.columns.count
        switch source {
        case .defaultValues:
            return [PlanExecutor.nullRow(width)]
        case .literalRows(let rows):
            return rows
        case .values(let rows):
            let types = columnTypes
            let plain = plainAssignments
            func assignedRow(_ values: [(position: Int, item: ValuesItem)]) throws -> [Value] {
                try context.checkCancel()
                var row = PlanExecutor.nullRow(width)
                for (position, item) in values {
                    row[position] = try Self.assigned(item, plain[position], types[position], context)
                }
                return row
            }
            // One row (a prepared INSERT's): an array of one, without `map`'s reserved
            // buffer grown and copied.
            if let parameterSlots { return [try parameterRow(parameterSlots, rows[0], width: width, context)] }
            if rows.count == 1 { return [try assignedRow(rows[0])] }
            return try rows.map(assignedRow)
        case .query(let plan, _):
            var rows: [[Value]] = []
            try PlanExecutor.run(plan, context) { values in
                var row = PlanExecutor.nullRow(width)
                for (value, position) in zip(values, targets) {
                    row[position] = try Cast.assign(value, to: table.columns[position].type)
                }
                try context.workMemory.charge(values, for: .changedRows)
                rows.append(row)
                return true
            }
            return rows
        }
    }

    /// Where each parameter of a one-row VALUES list of parameters goes, when each is bound
    /// to its column's own type (nil otherwise).
    private static func parameterSlots(_ source: Source, _ plain: [PlainAssignment?]) -> [ParameterSlot]? {
        guard case .values(let rows) = source, rows.count == 1 else { return nil }
        var slots: [ParameterSlot] = []
        for (item, (position, value)) in rows[0].enumerated() {
            guard case .expression(.parameter(let parameter, let bound)) = value, let kind = plain[position], bound == kind.type else {
                return nil
            }
            slots.append(ParameterSlot(item: item, position: position, parameter: parameter, plain: kind))
        }
        return slots
    }

    /// Whether a column the statement leaves out takes a plain NULL: what `completeRow`
    /// gives it without a context (no serial or identity sequence, no default, no domain).
    private static func defaultsToNull(_ column: VireoStorage.ColumnDefinition, _ expression: BoundExpression) -> Bool {
        guard !column.isSerial, case .constant(.null) = expression else { return false }
        return true
    }

    /// The row to store as it is (`storesParameterRowAsMade`) when every parameter was sent
    /// as a value of its column's kind; nil otherwise, and the general path makes the row
    /// with its conversions and errors. A prepared INSERT of plain values thus stores its
    /// row without an execution context, its row locker and the list of source rows.
    func rowStoredAsSent(_ parameters: [Value]) -> [Value]? {
        guard storesParameterRowAsMade, let parameterSlots else { return nil }
        return Self.rowAsSent(parameterSlots, parameters, width: table.columns.count)
    }

    /// The row of `slots` when each parameter was sent as a value of its column's kind.
    /// When the parameters are the row, one per column in order (`INSERT INTO t VALUES
    /// ($1, $2, …)`), it is their array itself: no row made, no value copied, and the
    /// caller's array kept by the statement's log instead of freed.
    @inline(__always)
    private static func rowAsSent(_ slots: [ParameterSlot], _ parameters: [Value], width: Int) -> [Value]? {
        if slots.count == width, parameters.count == width, slots.indices.allSatisfy({ slots[$0].isColumn($0) }) {
            for slot in slots where !slot.plain.passes(parameters[slot.parameter]) { return nil }
            return parameters
        }
        var row = PlanExecutor.nullRow(width)
        for slot in slots {
            guard slot.parameter < parameters.count, slot.plain.passes(parameters[slot.parameter]) else { return nil }
            row[slot.position] = parameters[slot.parameter]
        }
        return row
    }

    /// The row of a one-row VALUES list of parameters (`parameterSlots`): what
    /// `assignedRow` makes of it, each value sent as a value of its column's kind taken as it
    /// is, any other through `assigned`, in the same order with the same errors.
    private func parameterRow(_ slots: [ParameterSlot], _ items: [(position: Int, item: ValuesItem)], width: Int,
                              _ context: ExecutionContext) throws -> [Value] {
        try context.checkCancel()
        let parameters = context.parameters
        if let row = Self.rowAsSent(slots, parameters, width: width) { return row }
        var row = PlanExecutor.nullRow(width)
        for slot in slots {
            if slot.parameter < parameters.count, slot.plain.passes(parameters[slot.parameter]) {
                row[slot.position] = parameters[slot.parameter]
            } else {
                row[slot.position] = try Self.assigned(items[slot.item].item, slot.plain, columnTypes[slot.position], context)
            }
        }
        return row
    }

    /// A VALUES item's value through its column's assignment cast. A parameter bound to the
    /// column's own type and sent as a value of it (most prepared INSERTs) is taken as it
    /// is, as are values the cast would hand back unchanged: evaluating the parameter and
    /// the cast each returned it as given, at a tenth of a one-row INSERT's time.
    @inline(__always)
    private static func assigned(_ item: ValuesItem, _ plain: PlainAssignment?, _ type: ColumnType,
                                 _ context: ExecutionContext) throws -> Value {
        if case .expression(.parameter(let index, let bound)) = item, index < context.parameters.count {
            let raw = context.parameters[index]
            if let plain, bound == plain.type, plain.passes(raw) { return raw }
            // A float for an integer column rounds half to even as it is stored (PostgreSQL's
            // float8-to-int assignment, rint), not as the parameter's conversion to the
            // column's type rounds it for a comparison.
            if case .double = raw, type.isInteger, bound.isInteger { return try Cast.assign(raw, to: type) }
        }
        let value = switch item {
        case .value(let value): value
        case .expression(let expression): try Evaluator.evaluate(expression, [], context)
        }
        if let plain, plain.passes(value) { return value }
        return try Cast.assign(value, to: type)
    }

    /// The columns source row `index` leaves to their defaults, in column order.
    func absentPositions(row index: Int) -> [Int] {
        absentPositions.count == 1 ? absentPositions[0] : absentPositions[index]
    }

    private static func absentPositions(_ source: Source, targets: [Int], width: Int) -> [[Int]] {
        func absent(given: some Sequence<Int>) -> [Int] {
            // A row that gives every column leaves none (most rows of a bulk INSERT, which
            // then allocate nothing here).
            if width <= 64 {
                var givenMask: UInt64 = 0
                for position in given { givenMask |= 1 << UInt64(position) }
                if givenMask == (width == 64 ? ~0 : (1 << UInt64(width)) - 1) { return [] }
            }
            var isGiven = [Bool](repeating: false, count: width)
            for position in given { isGiven[position] = true }
            return (0..<width).filter { !isGiven[$0] }
        }
        switch source {
        case .defaultValues: return [Array(0..<width)]
        case .values(let rows): return rows.map { values in absent(given: values.lazy.map(\.position)) }
        case .literalRows: preconditionFailure("worked out from the bound .values")
        case .query(_, let columnCount): return [absent(given: targets.prefix(columnCount))]
        }
    }

    private static func bindSource(_ source: InsertSource, targets: [Int], table: TableDefinition, overriding: Insert.Overriding?,
                                   binder: Binder) throws -> Source {
        switch source {
        case .defaultValues:
            return .defaultValues
        case .values(let rows):
            if let first = rows.first, rows.contains(where: { $0.count != first.count }) {
                throw VireoError(.syntaxError, "VALUES lists must all be the same length")
            }
            // Worked out once per target column, not once per value of a many-row VALUES list
            // (each value copied its column's definition): its type, whether OVERRIDING USER
            // VALUE skips it, and whether it refuses a value (thrown at the first row giving one).
            let columns = targets.map { table.columns[$0] }
            let types = columns.map { SQLType($0.type) }
            let skipped = columns.map { overriding == .user && $0.identity != nil }
            let refusals = columns.map { column in Result { try GeneratedColumns.refuseValue(for: column, overriding: overriding) } }
            let scope = Scope()
            return .values(try rows.map { values in
                guard values.count <= targets.count else {
                    throw VireoError(.syntaxError, "INSERT has more expressions than target columns")
                }
                var bound: [(position: Int, item: ValuesItem)] = []
                bound.reserveCapacity(values.count)
                for (index, value) in values.enumerated() {
                    guard case .expression(let expression) = value else { continue }
                    // OVERRIDING USER VALUE: an identity column takes the sequence's value instead.
                    if skipped[index] { continue }
                    try refusals[index].get()
                    if case .literal(let literal) = expression {
                        try checkAssignment(of: literal, to: columns[index])
                        bound.append((targets[index], .value(try Self.value(of: literal, coercedTo: types[index]))))
                    } else {
                        bound.append((targets[index], .expression(try binder.assigned(binder.bind(expression, scope), to: columns[index]))))
                    }
                }
                return bound
            })
        case .query(let query):
            let (plan, columns) = try binder.bindQuery(query)
            guard columns.count <= targets.count else { throw VireoError(.syntaxError, "INSERT has more expressions than target columns") }
            for position in targets.prefix(columns.count) {
                if overriding == .user && table.columns[position].identity != nil {
                    throw VireoError(.featureNotSupported, "OVERRIDING USER VALUE is supported with VALUES, not with a query")
                }
                try GeneratedColumns.refuseValue(for: table.columns[position], overriding: overriding)
            }
            for (column, position) in zip(columns, targets) {
                try Cast.checkAssignment(from: column.type, to: table.columns[position])
            }
            let targetTypes = targets.prefix(columns.count).map { SQLType(table.columns[$0].type) }
            return .query(labellingEnums(plan, columns, into: targetTypes), columnCount: columns.count)
        }
    }

    /// The query's rows with each enum value that goes into a column of another type as its
    /// label (`INSERT INTO notes (text_col) SELECT mood_col …`): an enum value is its label's
    /// sort order, a number the column's assignment cast would store as it is.
    private static func labellingEnums(_ plan: PlanNode, _ columns: [ResultColumn], into targetTypes: [SQLType]) -> PlanNode {
        let labelled = zip(columns, targetTypes).map { column, target -> Bool in
            if case .enumeration = column.type { return column.type != target }
            return false
        }
        guard labelled.contains(true) else { return plan }
        return .project(plan, columns.indices.map { index in
            let value = (expression: BoundExpression.column(index), type: columns[index].type)
            return labelled[index] ? EnumValues.asText(value).expression : value.expression
        })
    }

    static func targetColumns(_ names: [String], _ table: TableDefinition) throws -> [Int] {
        if names.isEmpty { return Array(table.columns.indices) }
        var seen = Set<String>()
        return try names.map { name in
            guard let position = table.columnIndex(name) else {
                throw VireoError(.undefinedColumn, "column \"\(name)\" of relation \"\(table.name)\" does not exist")
            }
            guard seen.insert(name).inserted else { throw VireoError(.duplicateColumn, "column \"\(name)\" specified more than once") }
            return position
        }
    }

    /// The table columns an INSERT into a view writes: the view's columns named (when none
    /// are, its first columns, as many as VALUES gives), each a plain column of the table.
    private static func viewTargetColumns(_ names: [String], _ view: UpdatableView, source: InsertSource) throws -> [Int] {
        if names.isEmpty {
            var given = view.view.columns.count
            if case .values(let rows) = source { given = min(given, rows.first?.count ?? 0) }
            if case .defaultValues = source { given = 0 }
            return try (0..<given).map { try view.tableColumn($0, .insert) }
        }
        var seen = Set<String>()
        return try names.map { name in
            guard seen.insert(name).inserted else { throw VireoError(.duplicateColumn, "column \"\(name)\" specified more than once") }
            return try view.tableColumn(named: name, .insert)
        }
    }
}

/// A column type whose assignment cast (`Cast.assign`) returns a value of one kind as it
/// is: bigint and int values, integer and smallint and int values in their range, double
/// precision and double values, boolean and bool values, text (without a length limit) and
/// text values. Conversion (`Cast.convert`) to its `type` returns such a value as it is too.
/// A value out of range is not passed: the cast then throws its 22003.
enum PlainAssignment {
    case int, smallint, integer, double, bool, text

    init?(_ type: ColumnType) {
        switch type {
        case .int: self = .int
        case .smallint: self = .smallint
        case .integer: self = .integer
        case .double: self = .double
        case .bool: self = .bool
        case .text: self = .text
        default: return nil
        }
    }

    /// The SQL type a parameter bound for the column has.
    var type: SQLType {
        switch self {
        case .int: .int
        case .smallint: .smallint
        case .integer: .integer
        case .double: .double
        case .bool: .bool
        case .text: .text
        }
    }

    /// Whether the cast hands `value` back unchanged.
    @inline(__always)
    func passes(_ value: Value) -> Bool {
        switch (self, value) {
        case (.int, .int), (.double, .double), (.bool, .bool), (.text, .text): true
        case (.integer, .int(let number)): Int32(exactly: number) != nil
        case (.smallint, .int(let number)): Int16(exactly: number) != nil
        default: false
        }
    }

    /// The value `literal` is stored as in the column, made without the value of the
    /// literal's own type when that is what binding and the assignment cast give: an
    /// integer in the column's range, a string into text, a boolean, and a decimal of
    /// digits and one point into double precision (`Binder.plainDecimalDouble`: no numeric
    /// with its array of limbs made and freed per literal). Nil for anything else (NULL,
    /// an integer out of range, a decimal into bigint…), which takes the general path with
    /// its errors.
    @inline(__always)
    func storedValue(of literal: Literal) -> Value? {
        switch (self, literal) {
        case (.int, .integer(let number)): Value.int(number)
        case (.integer, .integer(let number)), (.smallint, .integer(let number)):
            passes(.int(number)) ? Value.int(number) : nil
        case (.double, .numeric(let text)): Binder.plainDecimalDouble(text).map(Value.double)
        case (.text, .string(let text)): Value.text(text)
        case (.bool, .boolean(let flag)): Value.bool(flag)
        default: nil
        }
    }
}

/// A parameter of a one-row VALUES list (`InsertPlan.parameterSlots`): the item's index in
/// the row, the table column it fills, the parameter's index, and the column's plain kind
/// (the parameter is bound to its type).
struct ParameterSlot {
    let item: Int
    let position: Int
    let parameter: Int
    let plain: PlainAssignment

    /// Whether parameter `index` fills column `index`.
    @inline(__always)
    func isColumn(_ index: Int) -> Bool { position == index && parameter == index }
}

/// A VALUES item once bound: a literal's value, or an expression. A literal is not boxed
/// as a `.constant` expression (a bulk INSERT's VALUES list has thousands: an allocation
/// each to make, and one to free).
enum ValuesItem {
    case value(Value)
    case expression(BoundExpression)
}

extension InsertPlan {
    /// What `binder.coerce(binder.bind(.literal(literal), scope), to: type)` gives, as a
    /// value: a string literal or NULL (of unknown type) converted to `type` now, with the
    /// errors binding throws; other literals keep their own type until the assignment cast.
    static func value(of literal: Literal, coercedTo type: SQLType) throws -> Value {
        let (value, literalType) = Binder.literalConstant(literal)
        guard literalType == .unknown, type != .unknown else { return value }
        return try Cast.convert(value, to: type)
    }

    /// 42804 when a literal's type has no assignment cast to `column`'s (`1` or `2.5` into a
    /// boolean column, `true` into an integer one); a string literal or NULL goes anywhere.
    /// Its type without its value: a decimal's numeric is not made twice.
    static func checkAssignment(of literal: Literal, to column: VireoStorage.ColumnDefinition) throws {
        try Cast.checkAssignment(from: Binder.literalType(literal), to: column)
    }
}
