import VireoStorage

/// The JSON calls whose answer depends on their arguments' SQL types, not only on the values:
/// the constructors and aggregates (a date is `"2024-01-02"`, a timestamp
/// `"2024-01-02T00:00:00"`, both `Value.timestamp`), and the json type's operators, which read
/// the document as written (JSONWritten.swift) where jsonb's read it normalised.
extension Binder {
    /// to_json(b), json(b)_build_object/array and array_to_json over typed arguments: each
    /// call's function carries its arguments' types. An untyped literal is text.
    func jsonConstructor(_ name: String, _ arguments: [Typed]) throws -> Typed? {
        guard let build = JSONBuild(rawValue: name) else { return nil }
        guard build.arity.contains(arguments.count) else {
            throw VireoError.undefinedFunction(name, arguments.map(\.type.description))
        }
        var typed = arguments.map(EnumValues.asText)  // JSON holds an enum value's label
        if build == .arrayToJSON {
            guard typed[0].type.elementType != nil || typed[0].type == .unknown else {
                throw VireoError.undefinedFunction(name, arguments.map(\.type.description))
            }
            if typed.count > 1 { typed[1] = (try coerce(typed[1], to: .bool), .bool) }
        }
        // A string literal is text; an untyped parameter keeps its value's own type (an
        // embedded caller's `.int(5)` is the number 5), which `build` reads per value.
        let types = typed.map { argument -> SQLType in
            if case .parameter = argument.expression, argument.type == .unknown { return .unknown }
            return argument.type == .unknown ? .text : argument.type
        }
        let bound = try zip(typed, types).map { argument, type in try type == .unknown ? argument.expression : coerce(argument, to: type) }
        // The types are part of the name: two calls over the same expressions of other types
        // are never taken for one another (StructuralKey compares names).
        let function = ScalarFunction("\(name)[\(types.map(\.description).joined(separator: ","))]", build.arity, [],
                                      strict: build.isStrict, returns: build.resultType) { try build.build($0, types) }
        return (.function(function, bound), build.resultType)
    }

    /// An aggregate's argument as the JSON aggregates take it: json_agg's and
    /// json_object_agg's values as their json text, jsonb_agg's and jsonb_object_agg's as
    /// jsonb, an object aggregate's key (`second` false) as the key's string.
    func jsonAggregateArgument(_ function: AggregateCall.Function, _ argument: Typed, isKey: Bool) -> BoundExpression {
        let type = argument.type
        if isKey {
            let key = ScalarFunction("json_key[\(type)]", 1...1, [], returns: .text) { values in
                .text(try JSONDatum.key(values[0], type, nullMessage: "field name must not be null"))
            }
            return .function(key, [argument.expression])
        }
        let build: JSONBuild = function == .jsonAgg || function == .jsonObjectAgg ? .toJSON : .toJSONB
        let value = ScalarFunction("\(build.rawValue)[\(type)]", 1...1, [], returns: build.resultType) { try build.build($0, [type]) }
        return .function(value, [argument.expression])
    }

    /// `json_agg(t)`, `jsonb_agg(t)`: a FROM entry's name as the aggregated value, its rows
    /// as records (row_to_json, to_jsonb); nil for any other argument.
    func wholeRowAggregateArgument(_ function: AggregateCall.Function, _ call: FunctionCall, _ scope: Scope) throws -> Typed? {
        guard function == .jsonAgg || function == .jsonbAgg, call.arguments.count == 1 else { return nil }
        return try wholeRowJSON(FunctionCall(function == .jsonAgg ? "row_to_json" : "to_jsonb", call.arguments), scope)
    }

    /// `->`, `->>`, `#>` and `#>>` on a json value (`a` is of type json): the member as
    /// written, json for `->` and `#>`, text for the others.
    func jsonTextOperator(_ op: BinaryOperator, _ a: Typed, _ b: Typed) throws -> Typed {
        let asText = op == .jsonGetText || op == .jsonPathText
        let isPath = op == .jsonPath || op == .jsonPathText
        let key = try isPath ? coerce(b, to: .array(.text)) : coerce(b, to: .text)
        let function = ScalarFunction("json \(op.rawValue)", 2...2, [], returns: asText ? .text : .jsonText) { values in
            let document = Cast.textForm(values[0])
            let part = try isPath ? JSONWritten.path(document, ArrayFunctions.elements(values[1]) ?? [])
                                  : JSONWritten.child(document, values[1])
            return asText ? JSONWritten.unquoted(part) : part.map { .json($0.text) } ?? .null
        }
        return (.function(function, [a.expression, key]), asText ? .text : .jsonText)
    }
}
