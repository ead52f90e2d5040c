import VireoStorage

/// Casts to regproc and regprocedure, PostgreSQL's function identifier types: a function's
/// name (regproc) or name and argument types (regprocedure) as its OID, and an OID as the
/// name (or signature) PostgreSQL prints for it.
extension Binder {
    /// The cast of `operand` to regproc or regprocedure; nil for other types and for operands
    /// that are neither a name nor an integer (the general cast handles them).
    func procedureCast(_ operand: SQLExpression, _ typeName: TypeName, _ scope: Scope) throws -> Typed? {
        guard case .other(let kind, []) = typeName, kind == "regproc" || kind == "regprocedure" else { return nil }
        if case .literal(.string(let text)) = operand, Int64(text) == nil {
            let oid = kind == "regproc" ? try Self.procedureOID(named: text, catalog) : try Self.procedureOID(signature: text, catalog)
            return (.constant(.int(oid)), .int)
        }
        let value = try bind(operand, scope)
        guard value.type.isInteger else { return nil }
        return (.function(Self.procedureOutput(kind, catalog), [try coerce(value, to: .int)]), .text)
    }

    /// regproc input: the one function of that name (42725 when it is overloaded); a name
    /// no SQL function has is taken for a built-in one and given the OID derived from it
    /// (`'pg_catalog.array_in'::regproc`, as pg_type's typinput holds it).
    static func procedureOID(named text: String, _ catalog: Catalog) throws -> Int64 {
        let overloads = catalog.functions(named: unquotedFunctionName(text))
        if overloads.count > 1 {
            throw VireoError(.ambiguousFunction, "more than one function named \"\(text.trimmingCharacters(in: .whitespaces))\"")
        }
        return overloads.first?.oid ?? SystemCatalog.procedureOID(named: text)
    }

    /// regprocedure input, `name(type, …)`: the SQL function with exactly those argument types.
    static func procedureOID(signature text: String, _ catalog: Catalog) throws -> Int64 {
        guard let open = text.firstIndex(of: "("), text.trimmingCharacters(in: .whitespaces).hasSuffix(")") else {
            throw VireoError(.invalidTextRepresentation, "expected a left parenthesis")
        }
        let name = unquotedFunctionName(String(text[..<open]))
        let inside = text[text.index(after: open)...].trimmingCharacters(in: .whitespaces).dropLast()
        // Argument types match without their modifiers (`varchar` names a `varchar(3)` argument).
        let types = try topLevelItems(String(inside)).map { try Parser.parseTypeName($0).signatureText }
        let function = catalog.functions(named: name).first { function in
            function.arguments.map { (try? Parser.parseTypeName($0.type).signatureText) ?? $0.type } == types
        }
        guard let function else {
            throw VireoError(.undefinedFunction, "function \"\(text.trimmingCharacters(in: .whitespaces))\" does not exist")
        }
        return function.oid
    }

    /// regproc and regprocedure output: the function's name, with regprocedure its argument
    /// types as format_type prints them; the OID itself when no function has it, `-` for 0.
    private static func procedureOutput(_ kind: String, _ catalog: Catalog) -> ScalarFunction {
        let functions = Dictionary(catalog.functions.values.map { ($0.oid, $0) }, uniquingKeysWith: { first, _ in first })
        return ScalarFunction(kind + "out", 1...1, [.int], returns: .text) { arguments in
            guard case .int(let oid) = arguments[0] else { return .null }
            guard let function = functions[oid] else { return .text(oid == 0 ? "-" : String(oid)) }
            guard kind == "regprocedure" else { return .text(quoteIdentifier(function.name)) }
            let types = function.arguments.map { Functions.typeName(SystemCatalog.typeOID(of: $0.type, catalog), .null) ?? $0.type }
            return .text(quoteIdentifier(function.name) + "(" + types.joined(separator: ",") + ")")
        }
    }

    /// A function's name as written in regproc input: `public.` or `pg_catalog.` dropped,
    /// folded to lower case unless quoted.
    private static func unquotedFunctionName(_ text: String) -> String {
        var name = text.trimmingCharacters(in: .whitespaces)
        for schema in ["public.", "pg_catalog."] where name.lowercased().hasPrefix(schema) { name.removeFirst(schema.count) }
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") { return String(name.dropFirst().dropLast()) }
        return name.lowercased()
    }

    /// The comma-separated items of `text` outside parentheses (`numeric(10,2), text`).
    private static func topLevelItems(_ text: String) -> [String] {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
        var items: [String] = [], current = "", depth = 0
        for character in text {
            switch character {
            case "(": depth += 1
            case ")": depth -= 1
            case "," where depth == 0:
                items.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        return items + [current]
    }
}
