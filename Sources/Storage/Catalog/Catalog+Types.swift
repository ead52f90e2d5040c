// Enum types in the catalog (CREATE TYPE … AS ENUM). Stored under "y/<name>" as the JSON
// of EnumType (sorted keys). A column of an enum type stores, for each value, the label's
// sort order as a double (`Value.double`), as PostgreSQL's pg_enum.enumsortorder is a
// float4: rows, index keys and comparisons then follow the declaration order with no
// lookup, and ALTER TYPE … ADD VALUE BEFORE/AFTER takes a sort order between its
// neighbours' (their mean), so no stored row or index entry is ever rewritten. RENAME
// VALUE changes only the label. Each column of the type carries a copy of the type
// (`ColumnType.enumeration`), which every change to the type updates in the same
// transaction, so a table's definition alone says how to read and print its values.
//
// Format: the first enum type raises the file to format version 4 in the transaction that
// creates it (StorageFormat.enumTypesVersion); a build that predates enum types then
// refuses the file by its version, not by the unknown "y/" entry or column type.
//
// Invariants:
//   E1. Labels are unique within a type, 1 to 63 bytes; sort orders are unique and finite.
//   E2. Every column of an enum type holds the catalog's current definition of that type
//       (same OID, name, labels and sort orders).
//   E3. A stored value of such a column is NULL or one of the type's sort orders: labels
//       are never removed (PostgreSQL has no DROP VALUE), and a sort order never changes.

import Foundation

/// A label of an enum type and its position (pg_enum's enumlabel and enumsortorder).
public struct EnumLabel: Codable, Sendable, Hashable {
    public var label: String
    public var sortOrder: Double

    public init(label: String, sortOrder: Double) {
        self.label = label
        self.sortOrder = sortOrder
    }
}

/// An enum type: its name, its OID (fixed at CREATE TYPE, kept across RENAME) and its
/// labels in declaration order.
public struct EnumType: Codable, Sendable, Hashable {
    public var name: String
    public var oid: Int64
    /// Ascending by `sortOrder`.
    public var labels: [EnumLabel]

    /// The longest label PostgreSQL accepts (NAMEDATALEN - 1).
    public static let labelBytesMax = 63

    public init(name: String, oid: Int64, labels: [String]) {
        self.name = name
        self.oid = oid
        self.labels = labels.enumerated().map { EnumLabel(label: $1, sortOrder: Double($0 + 1)) }
    }

    /// The sort order of `label`, nil when the type has no such label.
    public func sortOrder(of label: String) -> Double? {
        labels.first { $0.label == label }?.sortOrder
    }

    /// The label stored as `sortOrder`, nil when none is.
    public func label(of sortOrder: Double) -> String? {
        labels.first { $0.sortOrder == sortOrder }?.label
    }

    /// The label a stored value of the type stands for; nil for NULL or another value.
    public func label(of value: Value) -> String? {
        guard case .double(let sortOrder) = value else { return nil }
        return label(of: sortOrder)
    }

    /// Checks a label's length (42602, PostgreSQL's message).
    public static func checkLabel(_ label: String) throws {
        guard !label.isEmpty, label.utf8.count <= labelBytesMax else {
            throw VireoError(.invalidName, "invalid enum label \"\(label)\"", detail: "Labels must be \(labelBytesMax) bytes or less.")
        }
    }

    /// The type with `label` added at the end, or just before or after `neighbour`, its sort
    /// order between the neighbours' (stored values keep theirs).
    public func adding(_ label: String, neighbour: String?, before: Bool) throws -> EnumType {
        try Self.checkLabel(label)
        guard sortOrder(of: label) == nil else {
            throw VireoError(.duplicateObject, "enum label \"\(label)\" already exists")
        }
        var result = self
        guard let neighbour else {
            result.labels.append(EnumLabel(label: label, sortOrder: (labels.last?.sortOrder ?? 0) + 1))
            return result
        }
        guard let position = labels.firstIndex(where: { $0.label == neighbour }) else {
            throw VireoError(.invalidParameter, "\"\(neighbour)\" is not an existing enum label")
        }
        let insertAt = before ? position : position + 1
        let low = insertAt > 0 ? labels[insertAt - 1].sortOrder : labels[0].sortOrder - 2
        let high = insertAt < labels.count ? labels[insertAt].sortOrder : labels[labels.count - 1].sortOrder + 2
        let middle = low + (high - low) / 2
        guard middle > low, middle < high, middle.isFinite else {
            // PostgreSQL renumbers the type's sort orders here; stored values are sort
            // orders, so renumbering would rewrite every row of every column of the type.
            throw VireoError(.featureNotSupported, "no room for another enum label between \"\(labels[insertAt - 1].label)\" and \"\(labels[insertAt].label)\"",
                             hint: "Recreate the type with the labels in the order wanted.")
        }
        result.labels.insert(EnumLabel(label: label, sortOrder: middle), at: insertAt)
        return result
    }

    /// The type with label `old` called `new`.
    public func renaming(label old: String, to new: String) throws -> EnumType {
        guard let position = labels.firstIndex(where: { $0.label == old }) else {
            throw VireoError(.invalidParameter, "\"\(old)\" is not an existing enum label")
        }
        guard sortOrder(of: new) == nil else { throw VireoError(.duplicateObject, "enum label \"\(new)\" already exists") }
        try Self.checkLabel(new)
        var result = self
        result.labels[position].label = new
        return result
    }
}

extension Catalog {
    static let enumTypePrefix = "y/"

    /// The enum type called `name`, nil when there is none.
    public func enumType(named name: String) -> EnumType? { enumTypes[name] }

    static func decodeEnumType(_ value: UnsafeRawBufferPointer, path: String) throws -> EnumType {
        try decode(EnumType.self, value, path: path, what: "type")
    }

    /// The columns of tables and views whose type is (or is an array of) the enum type `name`,
    /// as (relation, column), sorted.
    public func columns(ofEnumType name: String) -> [(relation: String, column: String)] {
        let tableColumns = tables.values.flatMap { table in table.columns.map { (table.name, $0) } }
        let viewColumns = views.values.flatMap { view in view.columns.map { (view.name, $0) } }
        return (tableColumns + viewColumns).filter { $0.1.type.enumType?.name == name }
            .map { (relation: $0.0, column: $0.1.name) }.sorted { ($0.relation, $0.column) < ($1.relation, $1.column) }
    }
}

extension ColumnType {
    /// The enum type of an enum column (or of an array column's elements); nil otherwise.
    public var enumType: EnumType? {
        switch self {
        case .enumeration(let type): type
        case .array(let element): element.enumType
        default: nil
        }
    }

    /// This type with every use of enum type `oid` replaced by `type`.
    func replacingEnumType(_ oid: Int64, with type: EnumType) -> ColumnType {
        switch self {
        case .enumeration(let old) where old.oid == oid: .enumeration(type)
        case .array(let element): .array(element: element.replacingEnumType(oid, with: type))
        default: self
        }
    }
}

extension StoreTransaction {
    /// Creates enum type `type` (42710 when a type of that name exists); raises the file to
    /// format version 4.
    public func createEnumType(_ type: EnumType) throws {
        try step {
            guard catalog.enumTypes[type.name] == nil else {
                throw VireoError(.duplicateObject, "type \"\(type.name)\" already exists")
            }
            try MetaPage.raiseVersion(to: StorageFormat.enumTypesVersion, in: pages)
            setEnumTypeUnchecked(type, previousName: nil)
        }
    }

    /// Replaces enum type `previousName` (its labels changed, or its name) with `type`, in
    /// the catalog and in every column of the type (E2).
    public func alterEnumType(_ previousName: String, to type: EnumType) throws {
        try step {
            guard catalog.enumTypes[previousName] != nil else {
                throw VireoError(.undefinedObject, "type \"\(previousName)\" does not exist")
            }
            if type.name != previousName, catalog.enumTypes[type.name] != nil {
                throw VireoError(.duplicateObject, "type \"\(type.name)\" already exists")
            }
            setEnumTypeUnchecked(type, previousName: previousName)
        }
    }

    /// Drops enum type `name`; the caller has checked that no column uses it.
    public func dropEnumType(_ name: String) throws {
        try step {
            guard catalog.enumTypes[name] != nil else { throw VireoError(.undefinedObject, "type \"\(name)\" does not exist") }
            catalog.enumTypes[name] = nil
            catalog.noteSchemaChange()
        }
    }

    private func setEnumTypeUnchecked(_ type: EnumType, previousName: String?) {
        assert(pages.holdsGate, "a schema change outside the writer gate")
        if let previousName { catalog.enumTypes[previousName] = nil }
        catalog.enumTypes[type.name] = type
        catalog.noteSchemaChange()
        for var table in catalog.tables.values where table.columns.contains(where: { $0.type.enumType?.oid == type.oid }) {
            for position in table.columns.indices {
                table.columns[position].type = table.columns[position].type.replacingEnumType(type.oid, with: type)
            }
            setTable(table)
        }
        for var view in catalog.views.values where view.columns.contains(where: { $0.type.enumType?.oid == type.oid }) {
            for position in view.columns.indices {
                view.columns[position].type = view.columns[position].type.replacingEnumType(type.oid, with: type)
            }
            catalog.views[view.name] = view
        }
    }

    /// Writes the enum types that differ from the committed catalog (under the writer gate).
    func writeEnumTypeChanges() throws {
        try writeEntryChanges(prefix: Catalog.enumTypePrefix, committed: store.catalog.enumTypes, current: catalog.enumTypes)
    }
}
