import VireoIndex
import VireoStorage

/// What `vireo check` found in one HNSW index.
public struct VectorIndexReport: Sendable {
    public var name: String
    public var table: String
    /// Live vectors in the index as loaded (snapshot plus change tree).
    public var vectorCount: Int
    /// Broken graph invariants and disagreements with the table, in words.
    public var problems: [String]
}

extension Database {
    /// Loads every HNSW index of the committed catalog as a search would (its stored graph,
    /// then the rows of its change tree) and checks it: the graph's invariants
    /// (`HNSWIndex.integrityProblems`), and its labels against its table's rows, one node
    /// for each row whose vector is not NULL and none for any other. A search that trusts
    /// the index's labels (IndexExactness) relies on the second. Reads only.
    public func checkVectorIndexes() throws -> [VectorIndexReport] {
        let definitions = store.catalog.tables.values.flatMap { table in
            table.indexes.filter { $0.method == "hnsw" }.map { (table: table.name, index: $0.name) }
        }
        return try definitions.sorted { $0.index < $1.index }.map { try checkVectorIndex($0.index, table: $0.table) }
    }

    private func checkVectorIndex(_ name: String, table tableName: String) throws -> VectorIndexReport {
        var report = VectorIndexReport(name: name, table: tableName, vectorCount: 0, problems: [])
        let index: HNSWIndex
        do {
            index = try vectorIndexes.index(name)
        } catch {
            report.problems = ["does not load: \(error)"]
            return report
        }
        report.vectorCount = index.count
        report.problems = index.integrityProblems()
        report.problems += try labelProblems(index, name: name)
        return report
    }

    /// Rows with a vector that the index lacks, and a count that differs (which, with none
    /// lacking, means the index holds rows the table does not).
    private func labelProblems(_ index: HNSWIndex, name: String) throws -> [String] {
        try store.read { snapshot in
            guard let (table, definition) = snapshot.catalog.index(name),
                  let column = table.columnIndex(definition.columns[0]) else { return [] }
            var withVector = 0
            var missing: [Int64] = []
            try snapshot.scanRows(table) { rowID, record in
                guard column < record.columnCount, IndexedVector.floats(try record.value(at: column)) != nil else { return true }
                withVector += 1
                if !index.contains(label: rowID) { missing.append(rowID) }
                return true
            }
            var problems: [String] = []
            if !missing.isEmpty {
                problems.append("\(missing.count) rows with a vector are not in the index, first row ids \(missing.prefix(5).map { $0 })")
            }
            if index.count != withVector {
                problems.append("the index holds \(index.count) vectors, the table \(withVector) rows with a vector")
            }
            return problems
        }
    }
}
