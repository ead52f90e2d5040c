import VireoStorage

extension Binder {
    /// Applies a binary operator to bound operands: unknown operands take the type the
    /// operator needs, and the result type follows PostgreSQL's rules for the operand types.
    /// (AND and OR are n-ary, bound in Binder+Chains.swift.)
    func binary(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws -> Typed {
        // `jsonb ?| text[]`, `jsonb #> text[]`: a text array is these operators' right side.
        let takesKeyArray: Set<BinaryOperator> = [.and, .or, .hasAnyKey, .hasAllKeys, .jsonPath, .jsonPathText, .deletePath]
        // `jsonb - text[]` deletes keys (arithmetic's jsonb_delete), not an array operation.
        let deletesKeys = op == .subtract && a.type == .json
        if !takesKeyArray.contains(op), !deletesKeys, let array = try arrayOperator(op, a, b) { return array }
        if let call = try textFunctionOperator(op, a, b) { return call }
        switch op {
        case .overlaps where [a.type, b.type].contains(.tsquery) && [a.type, b.type].allSatisfy({ $0 == .tsquery || $0 == .unknown }):
            let operands = [try coerce(a, to: .tsquery), try coerce(b, to: .tsquery)]
            return (.function(try ScalarFunction.lookup("tsquery_and", argumentCount: 2), operands), .tsquery)
        case .overlaps: throw VireoError.undefinedOperator("\(a.type) && \(b.type)")
        case .and, .or:
            let (x, y) = (try coerce(a, to: .bool), try coerce(b, to: .bool))
            return (op == .and ? .and([x, y]) : .or([x, y]), .bool)
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            // Before unify, which would read an untyped literal as json: `json = unknown`.
            if a.type == .jsonText || b.type == .jsonText { try checkComparable(a.type, b.type, op) }
            if let sparse = try sparseComparison(op, a, b) { return sparse }
            var (x, y) = try unify(a, b)
            // A literal compared with a char(n) column is a char(n) too: its trailing blanks do not count.
            if x.expression.isUnpaddedChar { y.expression = y.expression.unpaddedConstant }
            if y.expression.isUnpaddedChar { x.expression = x.expression.unpaddedConstant }
            try checkComparable(x.type, y.type, op)
            return (.binary(op, x.expression, y.expression), .bool)
        case .add, .subtract, .multiply, .divide, .modulo, .power:
            return try arithmetic(op, a, b)
        case .bitAnd, .bitOr, .bitXor, .shiftLeft, .shiftRight:
            return try bitwise(op, a, b)
        case .concat where [a.type, b.type].contains(.tsvector) && [a.type, b.type].allSatisfy({ $0 == .tsvector || $0 == .unknown }):
            let operands = [try coerce(a, to: .tsvector), try coerce(b, to: .tsvector)]
            return (.function(try ScalarFunction.lookup("tsvector_concat", argumentCount: 2), operands), .tsvector)
        case .concat where (a.type.isVector || b.type.isVector) && (a.type.isVector || a.type == .unknown) && (b.type.isVector || b.type == .unknown):
            // pgvector's `vector || vector`: an untyped literal on the other side is a vector.
            let type = Self.vectorOperands(a.type, b.type)
            return (Self.halved(.binary(op, try coerce(a, to: type), try coerce(b, to: type)), type), type)
        case .concat:
            if let sameKind = try concatOfOneKind(a, b) { return sameKind }
            // PostgreSQL's `||` takes text on one side (anything else is cast to text): `1 || 2` is 42883.
            let texts = [a.type, b.type].contains { type in
                if case .enumeration = type { return true }
                return type == .unknown || type.isText
            }
            guard texts || a.type.isVector || b.type.isVector else {
                throw VireoError.undefinedOperator("\(a.type) || \(b.type)")
            }
            let bothVectors = a.type.isVector && b.type.isVector
            return (.binary(op, EnumValues.asText(a).expression, EnumValues.asText(b).expression), bothVectors ? .vector(nil) : .text)
        case .l2Distance, .negativeInnerProduct, .cosineDistance, .l1Distance:
            if let sparse = try sparseDistance(op, a, b) { return sparse }
            try checkVectorOperand(a.type, op)
            try checkVectorOperand(b.type, op)
            // With a halfvec on either side both are halfvecs (pgvector's vector-to-halfvec
            // cast is implicit): a vector operand is rounded to half precision first.
            let type = Self.vectorOperands(a.type, b.type)
            let (x, y) = (try halfvecOperand(a, type), try halfvecOperand(b, type))
            return (.binary(op, x, y), .double)
        case .wordSimilar, .wordSimilarCommuted, .strictWordSimilar, .strictWordSimilarCommuted, .wordDistance, .wordDistanceCommuted,
             .strictWordDistance, .strictWordDistanceCommuted, .startsWith:
            throw VireoError(.internalError, "\(op.rawValue) is bound by textFunctionOperator")
        case .like, .iLike, .notLike, .notILike:
            return (.like(try coerce(a, to: .text), pattern: try coerce(b, to: .text), escape: nil,
                          caseInsensitive: op.isCaseInsensitiveLike, negated: op.isNegatedLike), .bool)
        case .hammingDistance, .jaccardDistance:
            for operand in [a, b] where operand.type != .unknown && !operand.type.isBit {
                throw VireoError.undefinedOperator("\(a.type) \(op.rawValue) \(b.type)")
            }
            return (.binary(op, try coerce(a, to: .bit(nil, varying: false)), try coerce(b, to: .bit(nil, varying: false))), .double)
        case .jsonGet, .jsonGetText, .jsonPath, .jsonPathText:
            if a.type == .jsonText { return try jsonTextOperator(op, a, b) }
            let key = try coerce(b, to: .text)
            let resultType: SQLType = op == .jsonGet || op == .jsonPath ? .json : .text
            return (.binary(op, try coerce(a, to: .json), key), resultType)
        case .contains, .containedBy:
            try Self.checkNotJSONText(op, a, b)
            return (.binary(op, try coerce(a, to: .json), try coerce(b, to: .json)), .bool)
        case .hasKey, .hasAnyKey, .hasAllKeys:
            try Self.checkNotJSONText(op, a, b)
            return (.binary(op, try coerce(a, to: .json), try coerce(b, to: .text)), .bool)
        case .regexMatch, .regexMatchInsensitive, .regexNotMatch, .regexNotMatchInsensitive:
            return (.binary(op, try coerce(a, to: .text), try coerce(b, to: .text)), .bool)
        case .textSearchMatch:
            if a.type == .json { return try jsonPathCall("jsonb_path_match", a, b) }
            return try textSearchMatch(a, b)
        case .jsonPathExists:
            return try jsonPathCall("jsonb_path_exists", a, b)
        case .deletePath:
            guard a.type == .json || a.type == .unknown, b.type == .array(.text) || b.type == .unknown else {
                throw VireoError.undefinedOperator("\(a.type) #- \(b.type)")
            }
            let function = try ScalarFunction.lookup("jsonb_delete_path", argumentCount: 2)
            return (.function(function, [try coerce(a, to: .json), try coerce(b, to: .array(.text))]), .json)
        }
    }

    /// The operators on text that are calls of a function: `^@` (starts_with) and pg_trgm's,
    /// `%` and `<->` when an operand is text (or, for `%`, both are untyped literals, which
    /// PostgreSQL resolves to text), the word-similarity operators always. nil for any other.
    private func textFunctionOperator(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws -> Typed? {
        let texts = [a.type, b.type].filter { $0.isText || $0 == .unknown }.count == 2
        let typed = a.type.isText || b.type.isText
        let name: String
        switch op {
        case .modulo where texts && (typed || a.type == .unknown): name = "similarity_op"
        case .l2Distance where texts && typed: name = "similarity_dist"
        case .wordSimilar: name = "word_similarity_op"
        case .wordSimilarCommuted: name = "word_similarity_commutator_op"
        case .strictWordSimilar: name = "strict_word_similarity_op"
        case .strictWordSimilarCommuted: name = "strict_word_similarity_commutator_op"
        case .wordDistance: name = "word_similarity_dist_op"
        case .wordDistanceCommuted: name = "word_similarity_dist_commutator_op"
        case .strictWordDistance: name = "strict_word_similarity_dist_op"
        case .strictWordDistanceCommuted: name = "strict_word_similarity_dist_commutator_op"
        case .startsWith: name = "starts_with"
        default: return nil
        }
        guard texts else { throw VireoError.undefinedOperator("\(a.type) \(op.rawValue) \(b.type)") }
        let function = try ScalarFunction.lookup(name, argumentCount: 2)
        return (.function(function, [try coerce(a, to: .text), try coerce(b, to: .text)]), function.resultType([.text, .text]))
    }

    /// jsonb's containment and key operators have no json form (42883).
    private static func checkNotJSONText(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws {
        guard a.type == .jsonText || b.type == .jsonText else { return }
        throw VireoError.undefinedOperator("\(a.type) \(op.rawValue) \(b.type)")
    }

    /// `jsonb @? path` and `jsonb @@ path`: the function with no variables and `silent`, so
    /// that an error of the path's evaluation is NULL, as PostgreSQL's operators answer.
    private func jsonPathCall(_ name: String, _ a: Typed, _ b: Typed) throws -> Typed {
        guard a.type == .json || a.type == .unknown, b.type == .text || b.type == .unknown else {
            throw VireoError.undefinedOperator("\(a.type) \(name == "jsonb_path_match" ? "@@" : "@?") \(b.type)")
        }
        let function = try ScalarFunction.lookup(name, argumentCount: 4)
        let arguments = [try coerce(a, to: .json), try coerce(b, to: .text), .constant(.json("{}")), .constant(.bool(true))]
        return (.function(function, arguments), .bool)
    }

    /// `@@` as PostgreSQL resolves it: `tsvector @@ tsquery` or `tsquery @@ tsvector`; text
    /// (or an untyped literal) on the document side is parsed with to_tsvector, and then text
    /// on the query side with plainto_tsquery (`body @@ 'fat cats'`).
    private func textSearchMatch(_ a: Typed, _ b: Typed) throws -> Typed {
        let (document, search) = a.type == .tsquery || b.type == .tsvector ? (b, a) : (a, b)
        let mismatch = VireoError.undefinedOperator("\(a.type) @@ \(b.type)")
        let vector: BoundExpression, query: BoundExpression
        switch document.type {
        case .text, .unknown:
            vector = .function(try ScalarFunction.lookup("to_tsvector", argumentCount: 1), [try coerce(document, to: .text)])
        case .tsvector: vector = document.expression
        default: throw mismatch
        }
        switch search.type {
        case .tsquery: query = search.expression
        case .unknown where document.type == .tsvector: query = try coerce(search, to: .tsquery)
        case .text, .unknown where document.type != .tsvector:
            query = .function(try ScalarFunction.lookup("plainto_tsquery", argumentCount: 1), [try coerce(search, to: .text)])
        default: throw mismatch
        }
        return (.binary(.textSearchMatch, vector, query), .bool)
    }

    private func arithmetic(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws -> Typed {
        if op == .subtract, a.type == .json, b.type != .json {
            // jsonb − text (a string literal is one), − text[], − integer: jsonb_delete.
            guard b.type == .unknown || b.type.isText || b.type.isInteger || b.type == .array(.text) else {
                throw VireoError.undefinedOperator("jsonb - \(b.type)")
            }
            let key = b.type == .unknown ? try coerce(b, to: .text) : b.expression
            return (.function(try ScalarFunction.lookup("jsonb_delete", argumentCount: 2), [a.expression, key]), .json)
        }
        if let dated = try dateArithmetic(op, a, b) ?? intervalArithmetic(op, a, b) { return dated }
        var (x, y) = try unify(a, b)
        if x.type == .unknown { x = (try coerce(x, to: .double), .double) }
        if y.type == .unknown { y = (try coerce(y, to: .double), .double) }
        let type: SQLType
        switch (x.type, y.type) {
        case (let p, let q) where p.isVector && q.isVector:
            type = Self.vectorOperands(p, q)
            if type.isHalfVector { return (Self.halved(.binary(op, x.expression, y.expression), type), type) }
        case (.timestamp, let q) where q.isInteger: type = .timestamp
        case (let p, let q) where op == .power && p.isNumeric && q.isNumeric:
            type = (p == .numeric || q == .numeric) && !p.isFloat && !q.isFloat ? .numeric : .double
        case (let p, let q) where SQLType.widerNumeric(p, q) != nil: type = SQLType.widerNumeric(p, q) ?? .double
        default:
            throw VireoError.undefinedOperator("\(x.type) \(op.rawValue) \(y.type)")
        }
        let result = BoundExpression.binary(op, x.expression, y.expression)
        // Arithmetic runs on 64-bit integers and doubles; the cast brings the result back into
        // the operands' width (22003 when it leaves smallint's or integer's range, a real rounded).
        return ([.smallint, .integer, .real].contains(type) ? .cast(result, type) : result, type)
    }

    /// date ± integer is a date, date − date the days between (an integer), as in PostgreSQL.
    private func dateArithmetic(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws -> Typed? {
        let day = BoundExpression.constant(.int(DateTime.microsPerDay))
        switch (a.type, b.type, op) {
        case (.date, let q, .add) where q.isInteger, (.date, let q, .subtract) where q.isInteger:
            return (.binary(op, a.expression, .binary(.multiply, b.expression, day)), .date)
        case (let p, .date, .add) where p.isInteger:
            return (.binary(.add, b.expression, .binary(.multiply, a.expression, day)), .date)
        case (.date, .date, .subtract), (.date, .unknown, .subtract), (.unknown, .date, .subtract):
            let (x, y) = (try coerce(a, to: .date), try coerce(b, to: .date))
            return (.cast(.binary(.divide, .binary(.subtract, x, y), day), .integer), .integer)
        default:
            return nil
        }
    }

    /// timestamp ± interval (a date becomes a timestamp), interval ± interval, interval × or ÷
    /// a number, timestamp − timestamp; an unknown literal added to a timestamp is an interval,
    /// one subtracted from it a timestamp (as PostgreSQL resolves `ts - '…'`).
    private func intervalArithmetic(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws -> Typed? {
        if a.type == .time || b.type == .time { return try timeArithmetic(op, a, b) }
        let instants: Set<SQLType> = [.timestamp, .timestamptz, .date]
        let additive = op == .add || op == .subtract
        switch (a.type, b.type) {
        case (let t, .interval) where instants.contains(t) && additive, (let t, .unknown) where instants.contains(t) && op == .add:
            return (.binary(op, a.expression, try coerce(b, to: .interval)), t == .date ? .timestamp : t)
        case (.interval, let t) where instants.contains(t) && op == .add:
            return (.binary(.add, b.expression, a.expression), t == .date ? .timestamp : t)
        case (.interval, .interval) where additive, (.interval, .unknown) where additive, (.unknown, .interval) where additive:
            return (.binary(op, try coerce(a, to: .interval), try coerce(b, to: .interval)), .interval)
        case (.interval, let q) where q.isNumeric && (op == .multiply || op == .divide):
            return (.binary(op, a.expression, b.expression), .interval)
        case (let p, .interval) where p.isNumeric && op == .multiply:
            return (.binary(.multiply, b.expression, a.expression), .interval)
        case (let p, let q) where op == .subtract && [p, q].allSatisfy({ instants.contains($0) || $0 == .unknown })
                && (p != .unknown || q != .unknown):
            // Mixed with a timestamptz, the other side is read in the session's TimeZone; a date
            // with a timestamp is its midnight (date − date, an integer, is dateArithmetic's).
            let type: SQLType = p == .timestamptz || q == .timestamptz ? .timestamptz : .timestamp
            return (.function(Functions.timestampDifference, [try convert(a, to: type), try convert(b, to: type)]), .interval)
        default:
            return nil
        }
    }

    /// time ± interval (wrapping around midnight), time − time (an interval), date or
    /// timestamp + time (a timestamp), as PostgreSQL defines them; nil for other operators.
    private func timeArithmetic(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws -> Typed? {
        switch (a.type, b.type, op) {
        case (.time, .interval, .add), (.time, .interval, .subtract), (.time, .unknown, .add):
            return (.function(TimeOfDay.adding(op == .add ? 1 : -1), [a.expression, try coerce(b, to: .interval)]), .time)
        case (.interval, .time, .add), (.unknown, .time, .add):
            return (.function(TimeOfDay.adding(1), [b.expression, try coerce(a, to: .interval)]), .time)
        case (.time, .time, .subtract), (.time, .unknown, .subtract), (.unknown, .time, .subtract):
            return (.binary(.subtract, try coerce(a, to: .time), try coerce(b, to: .time)), .interval)
        case (.date, .time, .add), (.timestamp, .time, .add):
            return (.binary(.add, try convert(a, to: .timestamp), b.expression), .timestamp)
        case (.time, .date, .add), (.time, .timestamp, .add):
            return (.binary(.add, try convert(b, to: .timestamp), a.expression), .timestamp)
        case (.time, .time, .add):
            throw VireoError(.ambiguousFunction, "operator is not unique: time without time zone + time without time zone",
                             hint: "Could not choose a best candidate operator. You might need to add explicit type casts.")
        default:
            return nil
        }
    }

    func checkComparable(_ a: SQLType, _ b: SQLType, _ op: BinaryOperator) throws {
        // json has no comparison operators (jsonb has them), not even with an untyped literal.
        if a == .jsonText || b == .jsonText { throw VireoError.undefinedOperator("\(a) \(op.rawValue) \(b)") }
        if a == .unknown || b == .unknown || a == b || (a.isNumeric && b.isNumeric) || (a.isVector && b.isVector) { return }
        if a.isBit && b.isBit { return }
        if a.isText && b.isText { return }
        if a.isDateTime && b.isDateTime { return }
        if a == .interval && b == .interval { return }
        throw VireoError.undefinedOperator("\(a) \(op.rawValue) \(b)")
    }

    /// The type pgvector's operators take for operands of types `a` and `b` (each a vector,
    /// a halfvec or unknown): halfvec when either is one, else vector.
    static func vectorOperands(_ a: SQLType, _ b: SQLType) -> SQLType {
        a.isHalfVector || b.isHalfVector ? .halfvec(nil) : .vector(nil)
    }

    /// A halfvec operator's result (`+`, `-`, `*`, `||`) rounded to half precision, where
    /// pgvector checks it for overflow (22003); other results as they are.
    static func halved(_ result: BoundExpression, _ type: SQLType) -> BoundExpression {
        type.isHalfVector ? .cast(result, .halfvec(nil)) : result
    }

    /// An operand of a distance operator taking `type`: an unknown one takes it; a vector
    /// meeting a halfvec is cast to one (rounded), as pgvector's implicit cast does.
    func halfvecOperand(_ operand: Typed, _ type: SQLType) throws -> BoundExpression {
        guard type.isHalfVector, operand.type.isVector, !operand.type.isHalfVector else { return try coerce(operand, to: type) }
        return .cast(operand.expression, type)
    }

    private func checkVectorOperand(_ type: SQLType, _ op: BinaryOperator) throws {
        guard type == .unknown || type.isVector else {
            throw VireoError.undefinedOperator("\(type) \(op.rawValue) vector")
        }
    }

    /// pg_typeof's answer: the argument's type, known here, named as regtype prints it, without
    /// its modifier (`vector`, not `vector(3)`). A varchar or char column or cast keeps that
    /// name (`character varying`), which its value's SQL type (text) does not.
    private func regtypeName(of expression: SQLExpression, _ argument: Typed, _ scope: Scope) -> String {
        // A char(n) column binds to its unpadded text, so the column is found by its name.
        let shown = if case .column(let reference) = expression, let (position, _) = try? scope.resolve(reference) {
            scope.origin(at: position)
        } else {
            origin(of: expression, argument.expression, scope)
        }
        if let oid = shown?.textTypeOID, let name = Functions.typeName(Int64(oid), .null) { return name }
        return argument.type.unconstrained.description
    }

    /// Binds a call of a built-in scalar function (aggregates are bound by the query).
    func function(_ call: FunctionCall, _ scope: Scope) throws -> Typed {
        if let function = AggregateCall.Function(rawValue: call.name) {
            throw VireoError(.groupingError, function == .grouping ? "grouping operations are not allowed here"
                                                                   : "aggregate functions are not allowed here: \(call.name)")
        }
        if call.filter != nil {
            throw VireoError(.wrongObjectType, "FILTER specified, but \(call.name) is not an aggregate function")
        }
        if WindowCall.Function(rawValue: call.name) != nil {
            throw VireoError(.wrongObjectType, "window function \(call.name) requires an OVER clause")
        }
        if TableFunction(name: call.name) != nil {
            throw VireoError(.featureNotSupported, "set-returning function \(call.name) is supported in FROM and in a select list, not here")
        }
        if let sqlFunction = try sqlFunctionCall(call, scope) { return sqlFunction }
        if !call.argumentNames.isEmpty { return try function(try positionalCall(call, scope), scope) }
        if call.variadic { return try variadicCall(call, scope) }
        if let wholeRow = try wholeRowJSON(call, scope) { return wholeRow }
        var arguments = try call.arguments.map { try bind($0, scope) }
        if call.name == "pg_typeof", arguments.count == 1 {
            return (.constant(.text(regtypeName(of: call.arguments[0], arguments[0], scope))), .text)
        }
        if let json = try jsonConstructor(call.name, arguments) { return json }
        if let enumCall = try EnumValues.function(call.name, arguments.map(\.type)) { return enumCall }
        if call.name == "timezone", arguments.count == 2 {
            // timestamptz → the wall-clock timestamp in the zone; timestamp (a wall clock in
            // the zone) → the instant, a timestamptz.
            let fromInstant = arguments[1].type != .timestamp
            let value = try convert(arguments[1], to: fromInstant ? .timestamptz : .timestamp)
            return (.function(TimeZones.conversion(fromInstant: fromInstant), [try coerce(arguments[0], to: .text), value]),
                    fromInstant ? .timestamp : .timestamptz)
        }
        if let array = try arrayFunction(call.name, arguments) { return array }
        if let bits = try bitStringFunction(call.name, arguments) { return bits }
        if call.name == "~", arguments.count == 1 { return try bitNot(arguments[0]) }
        if let sparse = try sparseVectorFunction(call.name, arguments) { return sparse }
        if call.name == TextScore.name { return try textScore(arguments, scope) }
        if let reading = Functions.catalogReading(call.name, catalog) {
            let bound = try arguments.enumerated().map { try coerce($0.element, to: reading.parameterType(at: $0.offset)) }
            return (.function(reading, bound), reading.resultType([]))
        }
        switch call.name {
        case "coalesce": return try coalesce(arguments)
        case "nullif":
            guard arguments.count == 2 else { throw VireoError(.undefinedFunction, "function nullif requires 2 arguments") }
            let (a, b) = try unify(arguments[0], arguments[1])
            return (.caseWhen([(.binary(.equal, a.expression, b.expression), .constant(.null))], otherwise: a.expression), a.type)
        case "greatest", "least": return try extreme(call.name == "greatest", arguments)
        case "overlaps": return try overlaps(call, arguments, scope)
        case "date_bin": return try dateBin(arguments)
        case "substring" where arguments.count == 2 && Self.isText(arguments[1]):
            // substring(s FROM pattern): a text (or string literal) start is a regular expression.
            let bound = try arguments.map { try coerce($0, to: .text) }
            return (.function(Functions.substringMatching, bound), .text)
        default: break
        }
        arguments = arguments.map(EnumValues.asText)
        let function = try ScalarFunction.lookup(call.name, argumentCount: arguments.count, argumentTypes: arguments.map(\.type))
        // pgvector's functions of vectors have halfvec forms, taken when a halfvec is passed.
        let halves = arguments.contains { $0.type.isHalfVector }
        func parameterType(_ position: Int) -> SQLType {
            let type = function.parameterType(at: position)
            return halves && type == .vector(nil) ? .halfvec(nil) : type
        }
        var bound = try arguments.enumerated().map { try halfvecOperand($0.element, parameterType($0.offset)) }
        let types = arguments.enumerated().map { $0.element.type == .unknown ? parameterType($0.offset) : $0.element.type }
        if call.name == "extract" || call.name == "date_part", types.count == 2, types[1] == .time,
           case .constant(let field) = bound[0], !TimeOfDay.fields.contains(Cast.textForm(field).lowercased()) {
            throw VireoError(.featureNotSupported, "unit \"\(Cast.textForm(field).lowercased())\" not supported for type time without time zone")
        }
        if call.name == "extract" || call.name == "date_part", types.count == 2, case .constant(let field) = bound[0],
           TimeZones.offsetFields.contains(Cast.textForm(field).lowercased()) {
            let unit = Cast.textForm(field).lowercased()
            guard types[1] == .timestamptz else {
                throw VireoError(.featureNotSupported, "unit \"\(unit)\" not supported for type \(types[1])")
            }
            let exact = call.name == "extract"
            return (.function(TimeZones.offsetField(unit, exact: exact), [bound[1]]), exact ? .numeric : .double)
        }
        if let position = Self.wallClockArgument[call.name], types.count > position, types[position] == .timestamptz,
           !Self.isEpochField(call.name, bound[0]) {
            // These read a timestamptz's fields as its wall clock in the session's time zone;
            // date_trunc's result is that zone's wall clock read back as an instant.
            bound[position] = .function(TimeZones.sessionWall, [bound[position]])
            if call.name == "date_trunc" { return (.function(TimeZones.sessionInstant, [.function(function, bound)]), .timestamptz) }
        }
        let resultType = function.resultType(types)
        if halves, resultType == .vector(nil) { return (Self.halved(.function(function, bound), .halfvec(nil)), .halfvec(nil)) }
        if Self.integerWidthResults.contains(call.name), resultType == .smallint || resultType == .integer {
            // Computed in 64 bits: the cast checks the result fits its type (abs(-2147483648)
            // and gcd(-2147483648, 0) are 22003), as arithmetic's results are checked.
            return (.cast(.function(function, bound), resultType), resultType)
        }
        return (.function(function, bound), resultType)
    }

    /// The functions whose integer result takes its arguments' width.
    private static let integerWidthResults: Set<String> = ["abs", "gcd", "lcm"]

    /// Whether `argument` is text: of a text type, or a string literal.
    private static func isText(_ argument: Typed) -> Bool {
        if argument.type.isText { return true }
        if argument.type == .unknown, case .constant(.text) = argument.expression { return true }
        return false
    }

    /// `extract(epoch from …)`: seconds since 1970 of the instant itself, in no zone.
    private static func isEpochField(_ name: String, _ field: BoundExpression) -> Bool {
        guard name != "to_char", case .constant(let value) = field else { return false }
        return Cast.textForm(value).lowercased() == "epoch"
    }

    /// The functions that read a timestamptz argument (at this position) as a wall clock.
    private static let wallClockArgument = ["date_trunc": 1, "extract": 1, "date_part": 1, "to_char": 0]

    private func coalesce(_ arguments: [Typed]) throws -> Typed {
        guard let last = arguments.last else { throw VireoError(.syntaxError, "coalesce needs at least one argument") }
        let type = arguments.first { $0.type != .unknown }?.type ?? .unknown
        var result = try coerce(last, to: type)
        for argument in arguments.dropLast().reversed() {
            let value = try coerce(argument, to: type)
            result = .caseWhen([(.isNull(value, negated: true), value)], otherwise: result)
        }
        return (result, type)
    }

    private func extreme(_ greatest: Bool, _ arguments: [Typed]) throws -> Typed {
        var type = arguments.first { $0.type != .unknown }?.type ?? .unknown
        // timestamp and date with timestamptz: all compared as timestamptz (unify).
        if type.isDateTime { type = SQLType.common(arguments.map(\.type)) }
        let bound = try arguments.map { try type.isDateTime ? convert($0, to: type) : coerce($0, to: type) }
        let function = ScalarFunction(greatest ? "greatest" : "least", 1...100, [type], strict: false, returns: type) { values in
            var best: Value = .null
            for value in values where !value.isNull {
                let order = best.isNull ? 0 : try Compare.values(value, best) ?? 0
                if best.isNull || (greatest ? order > 0 : order < 0) { best = value }
            }
            return best
        }
        return (.function(function, bound), type)
    }

    /// Binds a subquery used inside an expression of `scope`; returns it with the type of
    /// its first column.
    func bindSubquery(_ query: Query, _ scope: Scope, columnsMax: Int?) throws -> (Subquery, SQLType) {
        let (subquery, types) = try bindSubqueryColumns(query, scope)
        if let columnsMax, types.count > columnsMax {
            throw VireoError(.syntaxError, "subquery must return only one column")
        }
        return (subquery, types.first ?? .unknown)
    }

    /// A subquery and the types of its columns.
    func bindSubqueryColumns(_ query: Query, _ scope: Scope) throws -> (Subquery, [SQLType]) {
        let inner = nestedBinder(outerScopes: outerScopes + [scope])
        let (plan, columns) = try inner.bindQuery(query)
        absorb(inner)
        if inner.usedOuterScope && outerScopes.count > 0 { usedOuterScope = true }
        // An unknown column (`(SELECT '1')`) is text, as in PostgreSQL (resolvingUnknown).
        return (Subquery(plan: plan, isCorrelated: inner.usedOuterScope), Self.resolvingUnknown(columns).map(\.type))
    }
}

extension Binder {
    /// `||` between two jsonb, bytea, tsquery or bit string values, which is that type's own
    /// operator and gives that type (a bit string: bit varying), not text. An untyped literal
    /// beside one of them takes its type, as PostgreSQL finds that operator first:
    /// `meta || '{"b": 1}'` merges objects. Nil for any other pair.
    func concatOfOneKind(_ a: Typed, _ b: Typed) throws -> Typed? {
        func kind(_ type: SQLType) -> SQLType? {
            if type.isBit { return .bit(nil, varying: true) }
            return [.bytes, .json, .tsquery].contains(type) ? type : nil
        }
        guard let kindA = a.type == .unknown ? kind(b.type) : kind(a.type),
              let kindB = b.type == .unknown ? kindA : kind(b.type), kindA == kindB else { return nil }
        let x = a.type == .unknown ? try coerce(a, to: kindA) : a.expression
        let y = b.type == .unknown ? try coerce(b, to: kindA) : b.expression
        if kindA == .tsquery { return (.function(try ScalarFunction.lookup("tsquery_or", argumentCount: 2), [x, y]), .tsquery) }
        return (.binary(.concat, x, y), kindA)
    }
}

extension Binder {
    /// `&`, `|`, `#` between integers, in the wider operand's type; `<<` and `>>` shift the
    /// left operand's type by an integer count, wrapping as PostgreSQL's int2shl, int4shl
    /// and int8shl do (the count taken modulo the machine word, as C's shift on x86). An
    /// untyped literal or parameter takes the other operand's type (a shift's count is an
    /// integer), else integer. Bit strings have their own (Binder+BitStrings.swift); other
    /// types are 42883.
    func bitwise(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws -> Typed {
        if let bits = try bitStringOperator(op, a, b) { return bits }
        let shift = op == .shiftLeft || op == .shiftRight
        func integer(_ operand: Typed, other: Typed, isCount: Bool) throws -> Typed {
            if operand.type == .unknown {
                let type: SQLType = !isCount && other.type.isInteger && other.type != .oid ? other.type : .integer
                return (try coerce(operand, to: type), type)
            }
            guard operand.type.isInteger else { throw VireoError.undefinedOperator("\(a.type) \(op.rawValue) \(b.type)") }
            return operand
        }
        let (x, y) = (try integer(a, other: b, isCount: false), try integer(b, other: a, isCount: shift))
        if shift {
            let function = BitShift.function(op == .shiftLeft ? "shl" : "shr", x.type)
            return (.function(function, [x.expression, y.expression]), x.type)
        }
        let type = SQLType.widerNumeric(x.type, y.type) ?? .int
        return (.binary(op, x.expression, y.expression), type)
    }
}

/// PostgreSQL's int2shl … int8shr: a shift in the operand's width, wrapping.
enum BitShift {
    static func function(_ direction: String, _ type: SQLType) -> ScalarFunction {
        let bits = type == .smallint || type == .integer ? 32 : 64
        let name = (type == .smallint ? "int2" : type == .integer ? "int4" : "int8") + direction
        return ScalarFunction(name, 2...2, [type, .integer], returns: type) { arguments in
            guard case .int(let value) = arguments[0], case .int(let count) = arguments[1] else { return .null }
            let shift = Int(count & Int64(bits - 1))
            let shifted: Int64 = bits == 32
                ? Int64(direction == "shl" ? Int32(truncatingIfNeeded: value) << shift : Int32(truncatingIfNeeded: value) >> shift)
                : (direction == "shl" ? value << shift : value >> shift)
            return .int(type == .smallint ? Int64(Int16(truncatingIfNeeded: shifted)) : shifted)
        }
    }
}
