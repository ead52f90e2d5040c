import VireoStorage

/// Values of enum types (CREATE TYPE … AS ENUM). Inside the engine a value is its label's
/// sort order (`Value.double`), so comparisons, sorting, grouping and index keys follow the
/// declaration order with no lookup; it becomes its label where it is printed: a cast to
/// text, and every result a session hands out (`labelled`).
enum EnumValues {
    /// The value of `label` (PostgreSQL's enum_in): 22P02 when the type has no such label.
    static func parse(_ label: String, _ type: EnumType) throws -> Value {
        guard let sortOrder = type.sortOrder(of: label) else {
            throw VireoError(.invalidTextRepresentation, "invalid input value for enum \(type.name): \"\(label)\"")
        }
        return .double(sortOrder)
    }

    /// A sort order that must be one of `type`'s: a value of the type already (a column read
    /// back, a parameter bound as such), or 22P02 for a number that is no label's.
    static func checked(_ sortOrder: Double, _ type: EnumType) throws -> Value {
        guard type.label(of: sortOrder) != nil else {
            throw VireoError(.invalidTextRepresentation, "invalid internal value for enum \(type.name): \(Value.format(sortOrder))")
        }
        return .double(sortOrder)
    }

    /// The label of a value of `type` (PostgreSQL's enum_out); NULL stays NULL.
    static func label(_ value: Value, _ type: EnumType) -> Value {
        guard case .double(let sortOrder) = value else { return value }
        return .text(type.label(of: sortOrder) ?? Value.format(sortOrder))
    }

    /// `value::text` for a value of `type`.
    static func labelFunction(_ type: EnumType) -> ScalarFunction {
        ScalarFunction("text", 1...1, [.enumeration(type)], returns: .text) { arguments in label(arguments[0], type) }
    }

    /// An enum-typed operand as its label (text), for an operator or function that takes it
    /// as text or as any value (`m || '!'`, concat, format, to_jsonb, json_build_object): its
    /// sort order, a number, must never reach them. Other operands as they are.
    static func asText(_ operand: (expression: BoundExpression, type: SQLType)) -> (expression: BoundExpression, type: SQLType) {
        guard case .enumeration(let type) = operand.type else { return operand }
        return (.function(labelFunction(type), [operand.expression]), .text)
    }

    /// A value of `type` printed: enum values (and arrays of them) as their labels.
    static func printed(_ value: Value, _ type: SQLType) -> Value {
        switch (type, value) {
        case (.enumeration(let enumType), _): label(value, enumType)
        case (.array(let element), .array(let elements)): .array(elements.map { printed($0, element) })
        default: value
        }
    }

    /// Whether values of `type` print differently from how the engine holds them.
    static func needsPrinting(_ type: SQLType) -> Bool {
        switch type {
        case .enumeration: true
        case .array(let element): needsPrinting(element)
        default: false
        }
    }

    /// The printer of one row of `columns`; nil when no column is of an enum type (the
    /// common case costs one pass over the columns, not one per row).
    static func rowPrinter(_ columns: [ResultColumn]) -> (([Value]) -> [Value])? {
        guard columns.contains(where: { needsPrinting($0.type) }) else { return nil }
        let types = columns.map(\.type)
        return { row in
            var printedRow = row
            for index in printedRow.indices where index < types.count && needsPrinting(types[index]) {
                printedRow[index] = printed(printedRow[index], types[index])
            }
            return printedRow
        }
    }

    /// `result` with its enum values printed as labels.
    @inline(__always)
    static func labelled(_ result: QueryResult) -> QueryResult {
        guard !result.rows.isEmpty, let printer = rowPrinter(result.columns) else { return result }
        var result = result
        result.rows = result.rows.map(printer)
        return result
    }
}

extension EnumValues {
    /// `enum_first(x)`, `enum_last(x)`, `enum_range(x)` for `x` of an enum type (its value
    /// is not read: `NULL::mood` names the type): the first or last label, or all of them
    /// as an array, in declaration order. Nil for other calls; 42883 for other arguments.
    static func function(_ name: String, _ argumentTypes: [SQLType]) throws -> (BoundExpression, SQLType)? {
        guard ["enum_first", "enum_last", "enum_range"].contains(name) else { return nil }
        guard argumentTypes.count == 1, case .enumeration(let type) = argumentTypes[0] else {
            let shown = argumentTypes.map(\.description).joined(separator: ", ")
            throw VireoError(.undefinedFunction, "function \(name)(\(shown)) does not exist",
                             hint: "Vireo's \(name) takes one argument of an enum type, such as NULL::mood.")
        }
        let orders = type.labels.map { Value.double($0.sortOrder) }
        switch name {
        case "enum_first": return (.constant(orders.first ?? .null), .enumeration(type))
        case "enum_last": return (.constant(orders.last ?? .null), .enumeration(type))
        default: return (.constant(.array(orders)), .array(.enumeration(type)))
        }
    }
}
