import VireoStorage

/// CREATE TYPE … AS ENUM, ALTER TYPE and DROP TYPE (the storage side is Catalog+Types.swift).
extension Session {
    func runTypeCommand(_ command: TypeCommand, _ transaction: StoreTransaction) throws -> QueryResult {
        let catalog = transaction.catalog
        switch command {
        case .createEnum(let name, let labels):
            try transaction.createEnumType(try Self.newEnumType(name, labels, catalog))
        case .createDomain(let statement):
            try transaction.createDomain(try Self.newDomain(statement, catalog))
        case .dropDomain(let names, let ifExists, let cascade):
            try dropDomains(names, ifExists: ifExists, cascade: cascade, transaction)
        case .drop(let names, let ifExists, let cascade):
            for name in names {
                if catalog.domains[name] != nil {
                    try dropDomains([name], ifExists: false, cascade: cascade, transaction)
                    continue
                }
                guard catalog.enumTypes[name] != nil else {
                    if ifExists {
                        raise(.skippedMissing("type", name))
                        continue
                    }
                    throw VireoError(.undefinedObject, "type \"\(name)\" does not exist")
                }
                try Self.checkUnused(name, cascade: cascade, transaction.catalog)
                try transaction.dropEnumType(name)
            }
        case .addValue(let name, let label, let ifNotExists, let neighbour, let before):
            let type = try Self.enumType(name, catalog)
            if ifNotExists, type.sortOrder(of: label) != nil {
                raise(Notice(.notice, sqlState: "42710", "enum label \"\(label)\" already exists, skipping"))
                break
            }
            try transaction.alterEnumType(name, to: try type.adding(label, neighbour: neighbour, before: before))
        case .renameValue(let name, let old, let new):
            try transaction.alterEnumType(name, to: try Self.enumType(name, catalog).renaming(label: old, to: new))
        case .rename(let name, let newName):
            var type = try Self.enumType(name, catalog)
            if BuiltinType.oid(named: newName) != nil { throw VireoError(.duplicateObject, "type \"\(newName)\" already exists") }
            type.name = newName
            try transaction.alterEnumType(name, to: type)
        case .ownerTo(let name, let role):
            _ = try Self.enumType(name, catalog)
            try SystemCatalog.checkRole(role, user: activity?.client.user)
        }
        return QueryResult(commandTag: command.commandTag)
    }

    /// The enum type called `name`, or 42704.
    static func enumType(_ name: String, _ catalog: Catalog) throws -> EnumType {
        guard let type = catalog.enumTypes[name] else { throw VireoError(.undefinedObject, "type \"\(name)\" does not exist") }
        return type
    }

    /// A new enum type with PostgreSQL's checks: the name free among types (built-in ones
    /// and tables' row types included), each label 1 to 63 bytes and given once (a label
    /// given twice is 23505, as PostgreSQL's unique index on pg_enum reports it).
    static func newEnumType(_ name: String, _ labels: [String], _ catalog: Catalog) throws -> EnumType {
        if catalog.enumTypes[name] != nil || BuiltinType.oid(named: name) != nil || catalog.tables[name] != nil || catalog.views[name] != nil {
            throw VireoError(.duplicateObject, "type \"\(name)\" already exists")
        }
        // A stable OID from the name, moved past any other enum type's.
        let taken = Set(catalog.enumTypes.values.map(\.oid))
        var oid = SystemCatalog.oid(ofObject: "type " + name)
        while taken.contains(oid) { oid += 1 }
        var seen: Set<String> = []
        for label in labels {
            try EnumType.checkLabel(label)
            guard seen.insert(label).inserted else {
                throw VireoError(.uniqueViolation, "duplicate key value violates unique constraint \"pg_enum_typid_label_index\"",
                                 detail: "Key (enumtypid, enumlabel)=(\(oid), \(label)) already exists.")
            }
        }
        return EnumType(name: name, oid: oid, labels: labels)
    }

    /// 2BP01 (PostgreSQL's message, detail and hint) when a column uses type `name`; with
    /// CASCADE, 0A000: dropping the columns with the type is not supported.
    static func checkUnused(_ name: String, cascade: Bool, _ catalog: Catalog) throws {
        let users = catalog.columns(ofEnumType: name) + catalog.columns(ofDomain: name)
        guard !users.isEmpty else { return }
        if cascade {
            throw VireoError(.featureNotSupported, "DROP TYPE … CASCADE of a type that columns use is not supported",
                             hint: "Drop or alter the columns of type \(name) first.")
        }
        let detail = users.map { user in
            let kind = catalog.views[user.relation] != nil ? "view" : "table"
            return "column \(user.column) of \(kind) \(user.relation) depends on type \(name)"
        }.joined(separator: "\n")
        throw VireoError(.dependentObjectsStillExist, "cannot drop type \(name) because other objects depend on it",
                         hint: "Use DROP ... CASCADE to drop the dependent objects too.", detail: detail)
    }
}

/// CREATE DOMAIN and DROP DOMAIN (the storage side is Catalog+Domains.swift, the checks
/// Binder+Domains.swift).
extension Session {
    /// A new domain with PostgreSQL's checks: the name free among types, the base type
    /// known, each CHECK a boolean over VALUE, the default of the base type. Unnamed checks
    /// are called `name_check`, `name_check1` … as PostgreSQL names them.
    static func newDomain(_ statement: CreateDomain, _ catalog: Catalog) throws -> DomainDefinition {
        let name = statement.name
        if catalog.domains[name] != nil || catalog.enumTypes[name] != nil || BuiltinType.oid(named: name) != nil
            || catalog.tables[name] != nil || catalog.views[name] != nil {
            throw VireoError(.duplicateObject, "type \"\(name)\" already exists")
        }
        _ = try Binder.sqlType(statement.baseType, in: catalog)
        var checks: [DomainCheck] = []
        for (constraint, expression) in statement.checks {
            let chosen = constraint ?? TableBuilder.unusedName(name + "_check") { taken in checks.contains { $0.name == taken } }
            checks.append(DomainCheck(name: chosen, expression: expression.sql))
        }
        let domain = DomainDefinition(name: name, oid: SystemCatalog.oid(ofObject: "type " + name), baseType: statement.baseType.sql,
                                      notNull: statement.notNull, defaultExpression: statement.defaultValue?.sql, checks: checks)
        _ = try Binder(catalog: catalog).domainChecks(domain)
        if let text = domain.defaultExpression {
            let typed = try Binder(catalog: catalog).bind(try Parser.parseExpression(text), Scope())
            try Cast.checkAssignment(from: typed.type, to: VireoStorage.ColumnDefinition(name: name, type: try statement.baseType.columnType(in: catalog)),
                                     isDefault: true)
        }
        return domain
    }

    /// Drops each domain in `names`, refusing one a column uses (2BP01, as DROP TYPE does).
    func dropDomains(_ names: [String], ifExists: Bool, cascade: Bool, _ transaction: StoreTransaction) throws {
        for name in names {
            guard transaction.catalog.domains[name] != nil else {
                if ifExists {
                    raise(.skippedMissing("type", name))
                    continue
                }
                throw VireoError(.undefinedObject, "type \"\(name)\" does not exist")
            }
            try Self.checkUnused(name, cascade: cascade, transaction.catalog)
            try transaction.dropDomain(name)
        }
    }
}
