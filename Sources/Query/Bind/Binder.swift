import VireoStorage

/// Resolves names and types in statements and builds plans. One binder serves one
/// statement; it records the types its parameters are used as.
final class Binder {
    let catalog: Catalog
    /// Scopes of the enclosing queries, innermost last (for correlated subqueries).
    var outerScopes: [Scope] = []
    /// Set when an expression reads an enclosing query's row.
    var usedOuterScope = false
    /// The type each `$n` was first used as.
    var parameterTypes: [Int: SQLType] = [:]
    /// The parameters whose types were declared (PREPARE's list, a Parse message's OIDs):
    /// each use reads its value as that type, as PostgreSQL's input function did at Bind.
    var declaredParameterTypes: [Int: SQLType] = [:]
    /// Vector indexes with uncommitted changes in this session: not used for searches.
    let staleVectorIndexes: Set<String>
    /// Set while binding the outputs of a grouped query.
    var aggregateContext: AggregateContext?
    /// WITH names visible here, innermost last.
    var commonTables: [(String, CommonTableBinding)] = []
    /// The rows of the statement's data-modifying WITH entries, by name, which ran before it
    /// was bound (only the top-level binder has them: nested WITH lists may not change data).
    var changedRows: [String: CommonTable] = [:]
    /// Set while binding a select list and ORDER BY, where window functions may appear.
    var windowContext: WindowContext?
    /// The tables and views the statement names, shared with nested binders (a view's
    /// dependencies, Binder+Views.swift).
    var relationsRead = RelationsRead()
    /// The views being expanded around this binder, to refuse a view that reads itself.
    var expandingViews: Set<String> = []
    /// Locking clauses for the select about to be bound (Binder+Locking.swift).
    var pendingLocking: [LockingClause] = []
    /// The parameter values the statement is planned with, when the plan may depend on
    /// them (PlanParameters); nil for a plan kept for any values.
    var planParameters: PlanParameters?
    /// Set while binding a SQL function's body: what its `$n` and argument names read
    /// (Binder+SQLFunctions.swift).
    var functionArguments: SQLFunctionArguments?
    /// The SQL functions being inlined around this binder (by signature), to refuse recursion.
    var expandingFunctions: Set<String> = []

    init(catalog: Catalog, staleVectorIndexes: Set<String> = []) {
        self.catalog = catalog
        self.staleVectorIndexes = staleVectorIndexes
    }

    /// A bound expression and its type.
    typealias Typed = (expression: BoundExpression, type: SQLType)

    func bind(_ expression: SQLExpression, _ scope: Scope) throws -> Typed {
        let typed = try bindUnfolded(expression, scope)
        return (fold(typed.expression), typed.type)
    }

    /// Evaluates expressions that read no row and no parameter once, at bind time.
    func fold(_ expression: BoundExpression) -> BoundExpression {
        guard expression.isConstant, !(expression.isConstantValue) else { return expression }
        let context = ExecutionContext.constantFolding
        guard let value = try? Evaluator.evaluate(expression, [], context) else { return expression }
        return .constant(value)
    }

    private func bindUnfolded(_ expression: SQLExpression, _ scope: Scope) throws -> Typed {
        if let aggregateContext, let grouped = try bindInAggregate(expression, aggregateContext) { return grouped }
        switch expression {
        case .literal(let literal): return literalValue(literal)
        case .column(let reference): return try column(reference, scope)
        case .parameter(let number):
            if let functionArguments { return try functionArgument(number, functionArguments, scope) }
            if let declared = declaredParameterTypes[number - 1] { return (.parameter(number - 1, declared), declared) }
            // A type its first use gave it holds for every later use, as in PostgreSQL: left
            // unknown here, a later use that is not coerced (a typed operand is left as it is)
            // would read the text sent (`cosine_distance(e, $1) … ORDER BY e <=> $1`).
            if let inferred = parameterTypes[number - 1] { return (.parameter(number - 1, inferred), inferred) }
            return (.parameter(number - 1, .unknown), .unknown)
        case .unary(let op, let operand): return try unary(op, operand, scope)
        case .binary(let op, let left, let right):
            if left.isRow || right.isRow { return try rowOperation(expression, scope) }
            return try chain(left, [OperatorLink(op, right)], scope)
        case .chain(let first, let links): return try chain(first, links, scope)
        case .isNull(let operand, _) where operand.isRow: return try rowOperation(expression, scope)
        case .isDistinctFrom(let left, let right, _) where left.isRow || right.isRow: return try rowOperation(expression, scope)
        case .inList(let operand, _, _) where operand.isRow: return try rowOperation(expression, scope)
        case .inSubquery(let operand, _, _) where operand.isRow: return try rowOperation(expression, scope)
        case .quantified(_, let operand, _, _) where operand.isRow: return try rowOperation(expression, scope)
        case .row: return try rowOperation(expression, scope)
        case .isNull(let operand, let negated): return (.isNull(try bind(operand, scope).expression, negated: negated), .bool)
        case .isBoolean(let operand, let value, let negated):
            return (.isBoolean(try coerce(bind(operand, scope), to: .bool), value: value, negated: negated), .bool)
        case .isDistinctFrom(let left, let right, let negated):
            let (a, b) = try unify(bind(left, scope), bind(right, scope))
            return (.isDistinctFrom(a.expression, b.expression, negated: negated), .bool)
        case .inList(let operand, let list, let negated): return try inList(operand, list, negated, scope)
        case .inSubquery(let operand, let query, let negated):
            let value = try bind(operand, scope)
            let (subquery, type) = try bindSubquery(query, scope, columnsMax: 1)
            // `x IN (SELECT …)` is `x = ANY (SELECT …)`: 1 IN (SELECT '1') is 42883, as in PostgreSQL.
            try checkComparable(value.type, type, .equal)
            return (.inSubquery([value.expression], subquery, negated: negated), .bool)
        case .between(let operand, let lower, let upper, let negated, let symmetric):
            return try between(operand, lower, upper, negated: negated, symmetric: symmetric, scope)
        case .like(let operand, let pattern, let escape, let caseInsensitive, let negated):
            return (.like(try coerce(bind(operand, scope), to: .text), pattern: try coerce(bind(pattern, scope), to: .text),
                          escape: try escape.map { try coerce(bind($0, scope), to: .text) },
                          caseInsensitive: caseInsensitive, negated: negated), .bool)
        case .exists(let query): return (.exists(try bindSubquery(query, scope, columnsMax: nil).0), .bool)
        case .subquery(let query):
            let (subquery, type) = try bindSubquery(query, scope, columnsMax: 1)
            return (.scalarSubquery(subquery), type)
        case .cast(let operand, let typeName): return try cast(operand, typeName, scope)
        case .function(let call):
            if let over = call.over { return try windowFunction(call, over, scope) }
            return try function(call, scope)
        case .caseWhen(let caseExpression): return try caseWhen(caseExpression, scope)
        case .array(let elements): return try arrayConstructor(elements, scope)
        case .arraySubquery(let query):
            let (subquery, type) = try bindSubquery(query, scope, columnsMax: 1)
            // ARRAY(SELECT an array) stacks the rows' arrays, as array_agg does.
            if type.elementType != nil { return (.function(ArrayFunctions.stackedRows, [.arraySubquery(subquery)]), type) }
            return (.arraySubquery(subquery), .array(type == .unknown ? .text : type))
        case .subscripted(let array, let lower, let upper, let isSlice):
            return try subscripted(array, lower, upper, isSlice: isSlice, scope)
        case .quantified(let op, let operand, let source, let all): return try quantified(op, operand, source, all: all, scope)
        case .field(let base, let name): return try fieldSelection(base, name, scope)
        }
    }

    @inline(never)
    func literalValue(_ literal: Literal) -> Typed {
        let (value, type) = Self.literalConstant(literal)
        return (.constant(value), type)
    }

    /// A literal's value and type (`literalValue` without the expression around it).
    static func literalConstant(_ literal: Literal) -> (Value, SQLType) {
        switch literal {
        case .null: return (.null, .unknown)
        case .boolean(let flag): return (.bool(flag), .bool)
        case .integer(let number): return (.int(number), literalType(literal))
        case .numeric(let text):
            return ((Self.plainDecimal(text) ?? Numeric(text)).map(Value.numeric) ?? .double(Double(text) ?? .nan), .numeric)
        case .string(let text): return (.text(text), .unknown)
        }
    }

    /// A literal's type: a string literal and NULL are of unknown type; as PostgreSQL, an
    /// integer literal is an integer (int4) when it fits, else a bigint.
    static func literalType(_ literal: Literal) -> SQLType {
        switch literal {
        case .null, .string: .unknown
        case .boolean: .bool
        case .integer(let number): Int32(exactly: number) == nil ? .int : .integer
        case .numeric: .numeric
        }
    }

    /// A literal of digits and one point, at most 18 digits (`1234.25`), read as
    /// `Numeric(text)` reads it but without its general parse, which made two byte arrays
    /// and a multiplication per chunk for every literal (5% of a bulk INSERT's time). Nil
    /// for any other spelling (an exponent, more digits), which the general parse takes.
    static func plainDecimal(_ text: String) -> Numeric? {
        plainDecimalDigits(text).map { Numeric(negative: false, coefficient: Magnitude($0.coefficient), scale: $0.scale) }
    }

    /// `plainDecimal(text)?.double` (the assignment cast of such a literal into a double
    /// precision column) without the numeric: a coefficient below 2^53 over an exact power
    /// of ten is one correctly rounded division, the double `Numeric.double` gives for the
    /// same value; a longer coefficient goes through the numeric as before.
    static func plainDecimalDouble(_ text: String) -> Double? {
        guard let digits = plainDecimalDigits(text) else { return nil }
        guard digits.coefficient < 1 << 53 else { return plainDecimal(text)?.double }
        return Double(digits.coefficient) / exactPowersOfTen[digits.scale]
    }

    /// 10^0 … 10^18, each an exact double (the scales `plainDecimalDigits` allows).
    private static let exactPowersOfTen: [Double] = (0...18).map { exponent in
        (0..<exponent).reduce(1.0) { power, _ in power * 10 }
    }

    /// The coefficient and scale of a literal of digits and one point with 1 to 18 digits.
    private static func plainDecimalDigits(_ text: String) -> (coefficient: UInt64, scale: Int)? {
        var coefficient: UInt64 = 0
        var digitCount = 0, fractionDigitCount = 0, seenPoint = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
                continue
            }
            guard (48...57).contains(byte), digitCount < 18 else { return nil }
            coefficient = coefficient * 10 + UInt64(byte - 48)
            digitCount += 1
            if seenPoint { fractionDigitCount += 1 }
        }
        guard digitCount > 0 else { return nil }
        return (coefficient, fractionDigitCount)
    }

    private func column(_ reference: ColumnReference, _ scope: Scope) throws -> Typed {
        if let (position, type) = try scope.resolve(reference) {
            // char(n): compared, concatenated and measured without its padding, as bpchar is.
            if scope.isBlankPadded(position) { return (.function(TextLength.unpadded, [.column(position)]), type) }
            return (.column(position), type)
        }
        for (level, outer) in outerScopes.reversed().enumerated() {
            if let (position, type) = try outer.resolve(reference) {
                usedOuterScope = true
                return (.outerColumn(level: level + 1, position), type)
            }
        }
        if reference.table == nil, let functionArguments, functionArguments.columns.contains(reference.column) {
            return try column(ColumnReference(table: functionArguments.alias, reference.column), scope)
        }
        if let record = try wholeRowRecord(reference, scope) { return record }
        if let table = reference.table, !([scope] + outerScopes).contains(where: { $0.hasEntry(table) }) {
            throw VireoError(.undefinedTable, "missing FROM-clause entry for table \"\(table)\"")
        }
        let name = reference.table.map { "\($0).\(reference.column)" } ?? reference.column
        throw VireoError(.undefinedColumn, "column \"\(name)\" does not exist")
    }

    /// Converts an expression of unknown type (a string literal, NULL or a parameter) to
    /// `type`, at bind time for constants; other types pass through unchanged.
    func coerce(_ typed: Typed, to type: SQLType) throws -> BoundExpression {
        guard typed.type == .unknown, type != .unknown else {
            // json's text as written becomes jsonb's normalised form where jsonb is wanted.
            if typed.type == .jsonText, type == .json { return .function(Cast.jsonToJSONB, [typed.expression]) }
            if case .enumeration = typed.type, type != typed.type, type != .unknown {
                return EnumValues.asText(typed).expression  // its label, which the target's input rules read
            }
            if case .vector(let dimension?) = type, typed.type.isVector, typed.type != type {
                return .cast(typed.expression, .vector(dimension))
            }
            // Into a halfvec: a vector is rounded, a halfvec of a declared dimension checked.
            if type.isHalfVector, typed.type.isVector, typed.type != type, type != .halfvec(nil) || !typed.type.isHalfVector {
                return .cast(typed.expression, type)
            }
            if let converted = Self.sparseToDense(typed, type) ?? Self.toSparse(typed, type) { return converted }
            return typed.expression
        }
        switch typed.expression {
        case .constant(let value): return .constant(try Cast.convert(value, to: type))
        case .parameter(let index, _):
            if parameterTypes[index] == nil { parameterTypes[index] = type }
            return .parameter(index, type)
        default: return .cast(typed.expression, type)
        }
    }

    /// An expression an INSERT, UPDATE SET or ON CONFLICT DO UPDATE SET stores into `column`
    /// (named `name` in the statement), coerced to its type: 42804 when PostgreSQL has no
    /// assignment cast from the expression's type (`true` into an integer column).
    func assigned(_ typed: Typed, to column: VireoStorage.ColumnDefinition, name: String? = nil) throws -> BoundExpression {
        try Cast.checkAssignment(from: typed.type, to: column, name: name)
        return try domainAssigned(try coerce(typed, to: SQLType(column.type)), to: column)
    }

    /// `coerce`, and a cast when a known type differs (an integer branch of a real CASE).
    func convert(_ typed: Typed, to type: SQLType) throws -> BoundExpression {
        if typed.type == .unknown || typed.type == type || type == .unknown { return try coerce(typed, to: type) }
        return Self.zoned(typed, to: type) ?? Self.sparseToDense(typed, type) ?? .cast(typed.expression, type)
    }

    /// A conversion between an instant (timestamptz) and a wall clock (timestamp, date),
    /// which goes through the session's time zone; nil for other pairs of types.
    static func zoned(_ typed: Typed, to type: SQLType) -> BoundExpression? {
        switch (typed.type, type) {
        case (.timestamptz, .timestamp): .function(TimeZones.sessionWall, [typed.expression])
        case (.timestamptz, .date), (.timestamptz, .time): .cast(.function(TimeZones.sessionWall, [typed.expression]), type)
        case (.timestamp, .timestamptz), (.date, .timestamptz): .function(TimeZones.sessionInstant, [typed.expression])
        default: nil
        }
    }

    /// Gives two operands a common type: an unknown side takes the other's type, and a
    /// timestamp or date meeting a timestamptz becomes one, its wall clock read in the
    /// session's TimeZone (PostgreSQL's implicit cast, used by its cross-type comparisons).
    func unify(_ a: Typed, _ b: Typed) throws -> (Typed, Typed) {
        // The operators' argument types carry no typmod: `emb = '[1,2]'` with emb a vector(3) is
        // false, not a dimension error.
        if a.type == .unknown && b.type != .unknown { return ((try coerce(a, to: b.type.unconstrained), b.type.unconstrained), b) }
        if b.type == .unknown && a.type != .unknown { return (a, (try coerce(b, to: a.type.unconstrained), a.type.unconstrained)) }
        if a.type == .timestamptz, let instant = Self.zoned(b, to: .timestamptz) { return (a, (instant, .timestamptz)) }
        if b.type == .timestamptz, let instant = Self.zoned(a, to: .timestamptz) { return ((instant, .timestamptz), b) }
        return (a, b)
    }

    private func unary(_ op: UnaryOperator, _ operand: SQLExpression, _ scope: Scope) throws -> Typed {
        if op == .minus, case .literal(.integer(let number)) = operand, number != .min {
            // PostgreSQL folds the sign into the literal: -2147483648 is an integer, not a bigint.
            return literalValue(.integer(-number))
        }
        let value = try bind(operand, scope)
        switch op {
        case .not: return (.not(try coerce(value, to: .bool)), .bool)
        case .plus: return (try coerce(value, to: .double), value.type == .unknown ? .double : value.type)
        case .minus:
            let type = value.type == .unknown ? SQLType.double : value.type
            let negated = BoundExpression.negate(try coerce(value, to: type))
            // -(-32768::smallint) leaves smallint's range: the cast checks it.
            return (type == .smallint || type == .integer ? .cast(negated, type) : negated, type)
        }
    }

    private func inList(_ operand: SQLExpression, _ list: [SQLExpression], _ negated: Bool, _ scope: Scope) throws -> Typed {
        var value = try bind(operand, scope)
        let items = try list.map { try bind($0, scope) }
        if value.type == .unknown, let known = items.first(where: { $0.type != .unknown }) {
            value = (try coerce(value, to: known.type), known.type)
        }
        // A timestamp or date among timestamptz items is compared as one (unify).
        if items.contains(where: { $0.type == .timestamptz }), let instant = Self.zoned(value, to: .timestamptz) {
            value = (instant, .timestamptz)
        }
        let bound = try items.map { try unify(value, $0).1.expression }
        return (.inList(value.expression, bound, negated: negated), .bool)
    }

    /// `x BETWEEN a AND b` is `x >= a AND x <= b`; SYMMETRIC also tries the bounds swapped
    /// (`… OR (x >= b AND x <= a)`), as PostgreSQL rewrites it, NULLs included.
    private func between(_ operand: SQLExpression, _ lower: SQLExpression, _ upper: SQLExpression, negated: Bool, symmetric: Bool,
                         _ scope: Scope) throws -> Typed {
        let value = try bind(operand, scope)
        let low = try unify(value, bind(lower, scope)).1, high = try unify(value, bind(upper, scope)).1
        func within(_ low: Typed, _ high: Typed) -> BoundExpression {
            .and([.binary(.greaterOrEqual, value.expression, low.expression), .binary(.lessOrEqual, value.expression, high.expression)])
        }
        let test: BoundExpression = symmetric ? .or([within(low, high), within(high, low)]) : within(low, high)
        return (negated ? .not(test) : test, .bool)
    }

    /// regclass's input: a relation's name as its OID, 42P01 for a name no relation has.
    private static func regclassInput(_ catalog: Catalog) -> ScalarFunction {
        ScalarFunction("regclass_in", 1...1, [.text], returns: .int) { arguments in
            let name = Functions.string(arguments[0])
            guard let oid = SystemCatalog.relationOID(name, catalog) else {
                throw VireoError(.undefinedTable, "relation \"\(name)\" does not exist")
            }
            return .int(oid)
        }
    }

    private func cast(_ operand: SQLExpression, _ typeName: TypeName, _ scope: Scope) throws -> Typed {
        if let domain = try domainCast(operand, typeName, scope) { return domain }
        if case .fractionalSeconds(let base, let digits) = typeName {
            // `x::timestamp(2)`: the cast to the type, then its precision (at most 6 digits).
            let value = try cast(operand, base, scope)
            let kept = min(digits, TypeName.fractionalDigitsMax)
            return (.function(FractionalSeconds.cast(digits: kept), [value.expression]), value.type)
        }
        if case .other("regconfig", []) = typeName {
            // A text-search configuration's name (`to_tsvector('english'::regconfig, body)`,
            // SQLAlchemy's REGCONFIG casts): kept as its name, which the text-search functions
            // take; a literal is checked at once, as PostgreSQL's regconfig input does.
            if case .literal(.string(let name)) = operand { _ = try TextSearchConfiguration(name: name) }
            return (try coerce(try bind(operand, scope), to: .text), .text)
        }
        let target = try Self.sqlType(typeName, in: catalog)
        if case .array([]) = operand, target.elementType != nil { return (.constant(.array([])), target) }
        if case .other("regclass", _) = typeName, case .literal(.string(let name)) = operand {
            // A relation's name as its OID ('pg_class'::regclass), as PostgreSQL's regclass input does.
            guard let oid = SystemCatalog.relationOID(name, catalog) else {
                throw VireoError(.undefinedTable, "relation \"\(name)\" does not exist")
            }
            return (.constant(.int(oid)), target)
        }
        if case .other("regtype", _) = typeName, case .literal(.string(let name)) = operand {
            // A type's name as its OID ('mood'::regtype), as PostgreSQL's regtype input does.
            guard let oid = SystemCatalog.typeOID(named: name, catalog) else {
                throw VireoError(.undefinedObject, "type \"\(name)\" does not exist")
            }
            return (.constant(.int(oid)), target)
        }
        if case .other("regnamespace", _) = typeName, case .literal(.string(let name)) = operand {
            // A schema's name as its OID ('pg_catalog'::regnamespace: pg_dump asks so).
            guard let oid = SystemCatalog.namespaceOID(named: name, catalog) else {
                throw VireoError(.invalidSchemaName, "schema \"\(name)\" does not exist")
            }
            return (.constant(.int(oid)), target)
        }
        if let procedure = try procedureCast(operand, typeName, scope) { return procedure }
        if typeName == .json, case .literal(.string(let text)) = operand {
            // `json` (unlike jsonb) keeps its text as written, once checked.
            return (.constant(.json(try JSONValue.validated(text))), target)
        }
        let value = try bind(operand, scope)
        if case .other("regclass", _) = typeName, value.type.isInteger, let output = Functions.catalogReading("regclass_out", catalog) {
            // An OID column cast to regclass reads as the relation's name, as psql's \d shows it.
            return (.function(output, [try coerce(value, to: .int)]), .text)
        }
        if case .other("regclass", _) = typeName, value.type == .unknown || value.type == .text {
            // A name known only when the statement runs (a parameter: SQLAlchemy's
            // `CAST(%(param)s AS REGCLASS)`) is looked up then, as the literal is above.
            return (.function(Self.regclassInput(catalog), [try coerce(value, to: .text)]), target)
        }
        if case .other("regtype", _) = typeName, value.type.isInteger {
            // An OID cast to regtype reads as the type's name (pgvector's `oid::regtype::text`).
            return (.function(Functions.typeFunction("regtype_out", catalog), [value.expression]), .text)
        }
        if case .enumeration(let type) = value.type, target != value.type {
            // An enum value casts to text types only (its label), as in PostgreSQL.
            guard try target.isText || TextLength(typeName) != nil else {
                throw VireoError(.cannotCoerce, "cannot cast type \(value.type) to \(target)")
            }
            let label = BoundExpression.function(EnumValues.labelFunction(type), [value.expression])
            guard let length = try TextLength(typeName) else { return (label, target) }
            return (.function(length.explicitCast, [label]), .text)
        }
        if let length = try TextLength(typeName) {
            // An explicit cast to varchar(n)/char(n) truncates silently (an assignment would fail).
            let text = value.type == .unknown ? try coerce(value, to: .text) : BoundExpression.cast(value.expression, .text)
            return (.function(length.explicitCast, [text]), .text)
        }
        if target == .numeric { return try numericCast(value, typeName) }
        if case .bit(let length, let varying) = target { return try bitCast(value, length, varying) }
        if value.type.isBit, target == .integer || target == .int {
            return (.function(BitString.toInteger(target), [value.expression]), target)
        }
        if target == .text && (Cast.typesWithOwnText.contains(value.type) || value.type.isRecord) {
            return (.function(Cast.typedText(from: value.type), [value.expression]), .text)
        }
        if value.type == .unknown { return (try coerce(value, to: target), target) }
        // Refused here, by the types the statement gives, as PostgreSQL refuses it: at run
        // time only the value's kind is known (an integer is a bigint, a time an interval).
        try Cast.checkExplicit(from: value.type, to: target)
        if value.type == .jsonText, target == .json { return (try coerce(value, to: target), target) }
        return (Self.zoned(value, to: target) ?? Self.sparseToDense(value, target) ?? .cast(value.expression, target), target)
    }

    /// `bit(n)` (`bit` alone is bit(1)) and `bit varying(n)` / `varbit(n)` (no length: any);
    /// nil for other types.
    static func bitType(_ typeName: TypeName) throws -> SQLType? {
        guard case .other(let name, let modifiers) = typeName, name == "bit" || name == "varbit" else { return nil }
        if let length = modifiers.first, length < 1 {
            throw VireoError(.invalidParameter, "length for type \(name) must be at least 1")
        }
        return .bit(modifiers.first ?? (name == "bit" ? 1 : nil), varying: name == "varbit")
    }

    /// An explicit cast to bit(n) or bit varying(n): text is read as bits, then cut (or for
    /// bit(n) padded with zeros) to n bits, as PostgreSQL's explicit length coercion does.
    private func bitCast(_ value: Typed, _ length: Int?, _ varying: Bool) throws -> Typed {
        let any = SQLType.bit(nil, varying: varying)
        let bits: BoundExpression
        switch value.type {
        case .unknown: bits = try coerce(value, to: any)
        case .text: bits = .cast(value.expression, any)
        case .bit: bits = value.expression
        case .integer, .int where !varying:
            return (.function(BitString.fromInteger(value.type, length: length ?? 1), [value.expression]), .bit(length ?? 1, varying: false))
        default: throw VireoError(.cannotCoerce, "cannot cast type \(value.type) to \(any)")
        }
        guard let length else { return (bits, any) }
        return (.function(BitString.resized(length: length, varying: varying), [bits]), .bit(length, varying: varying))
    }

    /// A cast to numeric: a real keeps its 6 significant digits, and `numeric(p,s)` rounds to
    /// s digits and checks against p. Kept out of `cast` so the binder's recursion stays small.
    @inline(never)
    private func numericCast(_ value: Typed, _ typeName: TypeName) throws -> Typed {
        try Cast.checkExplicit(from: value.type, to: .numeric)
        let exact = value.type == .real ? BoundExpression.function(Cast.realToNumeric, [value.expression])
            : value.type == .unknown ? try coerce(value, to: .numeric) : .cast(value.expression, .numeric)
        guard case .numeric(let precision?, let scale) = typeName else { return (exact, .numeric) }
        return (.function(NumericMath.typmod(precision: precision, scale: scale ?? 0), [exact]), .numeric)
    }

    /// The evaluation type of a declared type; `vector` without a dimension means any. A name
    /// no built-in type has is looked up among `catalog`'s enum types.
    static func sqlType(_ typeName: TypeName, in catalog: Catalog? = nil) throws -> SQLType {
        if let catalogType = typeName.catalogType { return catalogType }
        // `$1::oid[]` (asyncpg's type introspection): an array of the catalog type, described as oid[].
        if case .array(let element) = typeName, let catalogType = element.catalogType { return .array(catalogType) }
        if let bit = try bitType(typeName) { return bit }
        return SQLType(try typeName.columnType(in: catalog))
    }

    private func caseWhen(_ caseExpression: CaseExpression, _ scope: Scope) throws -> Typed {
        let operand = try caseExpression.operand.map { try bind($0, scope) }
        var branches: [(BoundExpression, Typed)] = []
        for branch in caseExpression.branches {
            let condition: BoundExpression
            if let operand {
                let (a, b) = try unify(operand, bind(branch.when, scope))
                condition = .binary(.equal, a.expression, b.expression)
            } else {
                condition = try coerce(bind(branch.when, scope), to: .bool)
            }
            branches.append((condition, try bind(branch.then, scope)))
        }
        let otherwise = try caseExpression.elseResult.map { try bind($0, scope) }
        let resultType = SQLType.common(branches.map(\.1.type) + [otherwise?.type ?? .unknown])
        let results = try branches.map { ($0.0, try convert($0.1, to: resultType)) }
        return (.caseWhen(results, otherwise: try otherwise.map { try convert($0, to: resultType) }), resultType)
    }
}

extension BoundExpression {
    var isConstantValue: Bool {
        if case .constant = self { return true }
        return false
    }
}
