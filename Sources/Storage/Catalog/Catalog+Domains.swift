// Domains in the catalog (CREATE DOMAIN). A domain is a base type with constraints; a
// column of a domain stores values of the base type (its ColumnType is the base type's) and
// names the domain (`ColumnDefinition.domain`), whose constraints the query layer checks
// wherever a value is stored into the column or cast to the domain. Stored under
// "d/<name>" as the JSON of DomainDefinition (sorted keys); fields are only ever added, as
// optionals.
//
// Format: like views and functions, domains need no new format version: a build that
// predates them refuses a file holding one as an unknown catalog entry.
//
// Invariants:
//   D1. Domains, enum types and built-in types share one namespace of type names.
//   D2. Every column naming a domain names one the catalog has (DROP DOMAIN refuses while
//       a column uses it).

import Foundation

/// A CHECK constraint of a domain: its name and its expression over VALUE, as SQL text.
public struct DomainCheck: Codable, Sendable, Hashable {
    public var name: String
    public var expression: String

    public init(name: String, expression: String) {
        self.name = name
        self.expression = expression
    }
}

/// A domain: its name, OID, base type and constraints (pg_type's row with typtype 'd').
public struct DomainDefinition: Codable, Sendable, Hashable {
    public var name: String
    public var oid: Int64
    /// The base type as SQL writes it (`integer`, `varchar(20)`).
    public var baseType: String
    public var notNull: Bool
    /// SQL text of the DEFAULT expression (absent: none).
    public var defaultExpression: String?
    public var checks: [DomainCheck]

    public init(name: String, oid: Int64, baseType: String, notNull: Bool, defaultExpression: String?, checks: [DomainCheck]) {
        self.name = name
        self.oid = oid
        self.baseType = baseType
        self.notNull = notNull
        self.defaultExpression = defaultExpression
        self.checks = checks
    }
}

extension Catalog {
    static let domainPrefix = "d/"

    /// The domain called `name`, nil when there is none.
    public func domain(named name: String) -> DomainDefinition? { domains[name] }

    /// The columns of tables whose type is domain `name`, as (table, column), sorted.
    public func columns(ofDomain name: String) -> [(relation: String, column: String)] {
        tables.values.flatMap { table in table.columns.filter { $0.domain == name }.map { (relation: table.name, column: $0.name) } }
            .sorted { ($0.relation, $0.column) < ($1.relation, $1.column) }
    }

    static func decodeDomain(_ value: UnsafeRawBufferPointer, path: String) throws -> DomainDefinition {
        try decode(DomainDefinition.self, value, path: path, what: "domain")
    }
}

extension StoreTransaction {
    /// Creates `domain`; 42710 when a type of that name exists in the catalog.
    public func createDomain(_ domain: DomainDefinition) throws {
        try step {
            assert(pages.holdsGate, "a schema change outside the writer gate")
            guard catalog.domains[domain.name] == nil, catalog.enumTypes[domain.name] == nil else {
                throw VireoError(.duplicateObject, "type \"\(domain.name)\" already exists")
            }
            catalog.domains[domain.name] = domain
            catalog.noteSchemaChange()
        }
    }

    /// Drops domain `name`; the caller has checked that no column uses it (D2).
    public func dropDomain(_ name: String) throws {
        try step {
            guard catalog.domains[name] != nil else { throw VireoError(.undefinedObject, "type \"\(name)\" does not exist") }
            catalog.domains[name] = nil
            catalog.noteSchemaChange()
        }
    }

    /// Writes the domains that differ from the committed catalog (under the writer gate).
    func writeDomainChanges() throws {
        try writeEntryChanges(prefix: Catalog.domainPrefix, committed: store.catalog.domains, current: catalog.domains)
    }
}
