// Views in the catalog (CREATE VIEW). A view keeps no rows: the query layer expands its
// stored SQL wherever the view is named. Stored under "v/<name>" as the JSON of
// ViewDefinition (sorted keys); fields are only ever added, as optionals, so every file
// written since views came reads.

import Foundation

/// A view: its query as canonical SQL, the columns it shows and the relations it reads.
public struct ViewDefinition: Codable, Sendable, Hashable {
    public var name: String
    /// The defining query as canonical SQL, parsed and bound again at each use.
    public var query: String
    /// The view's columns, in order: the query's first columns under these names and types
    /// (a `SELECT *` later meeting an added column still shows only these, as PostgreSQL).
    public var columns: [ColumnDefinition]
    /// Tables and views the query reads: DROP of one of them needs CASCADE.
    public var dependsOn: [String]
    /// `WITH [CASCADED | LOCAL] CHECK OPTION`: "cascaded" or "local"; absent when not given.
    public var checkOption: String?

    public init(name: String, query: String, columns: [ColumnDefinition], dependsOn: [String], checkOption: String? = nil) {
        self.name = name
        self.query = query
        self.columns = columns
        self.dependsOn = dependsOn
        self.checkOption = checkOption
    }
}

extension Catalog {
    /// Whether a table, index or view is called `name` (they share one namespace).
    public func hasRelation(_ name: String) -> Bool {
        tables[name] != nil || views[name] != nil || index(name) != nil || sequence(named: name) != nil
    }

    /// The views that read relation `name` directly, by name.
    public func viewsDepending(on name: String) -> [ViewDefinition] {
        views.values.filter { $0.dependsOn.contains(name) }.sorted { $0.name < $1.name }
    }

    /// The views that read `name`, directly or through other views, dependents after what
    /// they depend on (the order PostgreSQL's DROP … CASCADE reports them).
    public func viewsDependingTransitively(on name: String) -> [ViewDefinition] {
        var found: [ViewDefinition] = []
        var queue = [name]
        var seen: Set<String> = [name]
        while let next = queue.first {
            queue.removeFirst()
            for view in viewsDepending(on: next) where seen.insert(view.name).inserted {
                found.append(view)
                queue.append(view.name)
            }
        }
        return found
    }

    static func decodeView(_ value: UnsafeRawBufferPointer, path: String) throws -> ViewDefinition {
        try decode(ViewDefinition.self, value, path: path, what: "view")
    }
}

extension StoreTransaction {
    /// Creates view `view`, or replaces the view of that name when `replace` (the query
    /// layer has checked that the new columns extend the old ones).
    public func createView(_ view: ViewDefinition, replace: Bool) throws {
        try step {
            if replace, catalog.views[view.name] != nil {
                return setView(view)
            }
            if catalog.tables[view.name] != nil || catalog.index(view.name) != nil || catalog.views[view.name] != nil {
                if replace { throw VireoError(.wrongObjectType, "\"\(view.name)\" is not a view") }
                throw VireoError(.duplicateTable, "relation \"\(view.name)\" already exists")
            }
            for name in view.dependsOn where catalog.tables[name] == nil && catalog.views[name] == nil {
                throw VireoError(.undefinedTable, "relation \"\(name)\" does not exist")
            }
            setView(view)
        }
    }

    /// Drops view `name`; the caller has dropped or refused its dependents.
    public func dropView(_ name: String) throws {
        try step {
            guard catalog.views[name] != nil else {
                throw VireoError(.undefinedTable, "view \"\(name)\" does not exist")
            }
            catalog.views[name] = nil
            catalog.noteSchemaChange()
        }
    }

    private func setView(_ view: ViewDefinition) {
        assert(pages.holdsGate, "a schema change outside the writer gate")
        catalog.views[view.name] = view
        catalog.noteSchemaChange()
    }

    /// Writes the views that differ from the committed catalog (the transaction holds the
    /// writer gate, so nothing else changed that since it began).
    func writeViewChanges() throws {
        try writeEntryChanges(prefix: Catalog.viewPrefix, committed: store.catalog.views, current: catalog.views)
    }

    /// Writes the JSON entries under `prefix` that differ between `committed` and `current`
    /// (removing those `current` no longer has).
    func writeEntryChanges<Entry: Encodable & Equatable>(prefix: String, committed: [String: Entry], current: [String: Entry]) throws {
        for name in Set(committed.keys).union(current.keys) where committed[name] != current[name] {
            let key = Array((prefix + name).utf8)
            if let entry = current[name] {
                try store.catalogTree.insert(key: key, value: Catalog.encode(entry), in: pages)
            } else {
                try store.catalogTree.remove(key: key, in: pages)
            }
        }
    }
}
