// Functions in the catalog (CREATE FUNCTION … LANGUAGE sql | plpgsql). A function keeps its
// body as the text written, parsed and bound again at each call (the query layer inlines a
// SQL function, Binder+SQLFunctions.swift, and runs a PL/pgSQL one, PLpgSQL/). Stored under "f/<name>(<argument types>)" as the JSON of
// FunctionDefinition (sorted keys), so overloads of one name are separate entries; fields
// are only ever added, as optionals.
//
// Format: like views, functions need no new format version: a build that predates them
// refuses a file holding one as an unknown catalog entry rather than misreading it.
//
// Invariants:
//   F1. No two functions have the same name and argument types (the entry's key).
//   F2. Argument and result types are type names as SQL writes them, which the query layer
//       resolved when the function was created.

import Foundation

/// An argument of a function, or a column of a `RETURNS TABLE` result.
public struct FunctionParameter: Codable, Sendable, Hashable {
    /// The name, nil when the argument has none (it is then only `$n`).
    public var name: String?
    /// The type as SQL writes it (`integer`, `text[]`).
    public var type: String
    /// SQL text of the DEFAULT expression (absent: the argument must be given).
    public var defaultExpression: String?

    public init(name: String?, type: String, defaultExpression: String? = nil) {
        self.name = name
        self.type = type
        self.defaultExpression = defaultExpression
    }
}

/// A function: its signature, its result and its body (pg_proc's row).
public struct FunctionDefinition: Codable, Sendable, Hashable {
    public var name: String
    /// Fixed at CREATE FUNCTION, kept by CREATE OR REPLACE.
    public var oid: Int64
    public var arguments: [FunctionParameter]
    /// The result type as SQL writes it; `record` for `RETURNS TABLE`.
    public var returnType: String
    /// `RETURNS SETOF type` or `RETURNS TABLE (…)`: the function gives rows.
    public var returnsSet: Bool
    /// `RETURNS TABLE (…)`'s columns (absent otherwise).
    public var resultColumns: [FunctionParameter]?
    /// The body as written between the quotes (pg_proc.prosrc), or for `RETURN expr` and
    /// `BEGIN ATOMIC … END` the statements as canonical SQL.
    public var body: String
    /// pg_proc.provolatile: "i" (IMMUTABLE), "s" (STABLE) or "v" (VOLATILE).
    public var volatility: String
    /// `STRICT` / `RETURNS NULL ON NULL INPUT`: a NULL argument gives NULL without a call.
    public var strict: Bool
    /// The language: "sql" or "plpgsql".
    public var language: String

    public init(name: String, oid: Int64, arguments: [FunctionParameter], returnType: String, returnsSet: Bool,
                resultColumns: [FunctionParameter]?, body: String, volatility: String, strict: Bool, language: String = "sql") {
        self.name = name
        self.oid = oid
        self.arguments = arguments
        self.returnType = returnType
        self.returnsSet = returnsSet
        self.resultColumns = resultColumns
        self.body = body
        self.volatility = volatility
        self.strict = strict
        self.language = language
    }

    /// The catalog key's name part: `name(type, …)`, one per overload (F1).
    public var signature: String { Self.signature(name, arguments.map(\.type)) }

    /// `name(type, …)` for a name and argument types.
    public static func signature(_ name: String, _ types: [String]) -> String {
        name + "(" + types.joined(separator: ",") + ")"
    }

    /// The number of trailing arguments with a DEFAULT.
    public var defaultCount: Int { arguments.reversed().prefix { $0.defaultExpression != nil }.count }
}

extension Catalog {
    static let functionPrefix = "f/"

    /// The functions called `name`, every overload, by signature.
    public func functions(named name: String) -> [FunctionDefinition] {
        functions.values.filter { $0.name == name }.sorted { $0.signature < $1.signature }
    }

    static func decodeFunction(_ value: UnsafeRawBufferPointer, path: String) throws -> FunctionDefinition {
        try decode(FunctionDefinition.self, value, path: path, what: "function")
    }
}

extension StoreTransaction {
    /// Creates `function`, or replaces the one of the same signature when `replace` (the
    /// query layer has checked what may change); 42723 when it exists and not `replace`.
    public func createFunction(_ function: FunctionDefinition, replace: Bool) throws {
        try step {
            assert(pages.holdsGate, "a schema change outside the writer gate")
            if !replace, catalog.functions[function.signature] != nil {
                throw VireoError(.duplicateFunction, "function \"\(function.name)\" already exists with same argument types")
            }
            catalog.functions[function.signature] = function
            catalog.noteSchemaChange()
        }
    }

    /// Drops the function of `signature`.
    public func dropFunction(signature: String) throws {
        try step {
            guard catalog.functions[signature] != nil else {
                throw VireoError(.undefinedFunction, "function \(signature) does not exist")
            }
            catalog.functions[signature] = nil
            catalog.noteSchemaChange()
        }
    }

    /// Writes the functions that differ from the committed catalog (under the writer gate).
    func writeFunctionChanges() throws {
        try writeEntryChanges(prefix: Catalog.functionPrefix, committed: store.catalog.functions, current: catalog.functions)
    }
}
