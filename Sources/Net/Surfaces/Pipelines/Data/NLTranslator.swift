import Foundation
import VireoQuery
import VireoStorage

/// The offline natural-language → SQL translator: schema linking of the question's words to
/// tables and columns (names, singular and plural, words of snake_case names, and values of
/// text columns), then a grammar of question shapes:
///
/// - counts: "how many orders …", "number of customers …"
/// - aggregates: "total / sum of / average / highest / lowest AMOUNT of orders …"
/// - groups: "… per CITY", "… by STATUS", "… for each CUSTOMER" (a table: joined along its key)
/// - top N: "top 5 customers by total amount", "the 3 most expensive products"
/// - lists: "show / list orders …", "sorted by COLUMN", "newest first"
/// - filters: "with/where/whose COLUMN over|under|at least|at most|is VALUE", "in VALUE" (a value
///   of a text column), "VIP customers" (a boolean column named in the question)
/// - time windows on the table's date column: "last month", "this month", "last year",
///   "this year", "in 2024", "last N days", "today", "yesterday"
///
/// Joins go along keys named `<table>_id` (or `<singular>_id`) to a table's `id`.
struct NLTranslator {
    struct Table {
        var name: String
        var columns: [(name: String, type: SQLType)]
        func has(_ column: String) -> Bool { columns.contains { $0.name == column } }
        func type(_ column: String) -> SQLType? { columns.first { $0.name == column }?.type }
        var dateColumn: String? { columns.first { $0.type.isDateTime }?.name }
        var labelColumn: String? { columns.first { ["name", "title", "email", "label"].contains($0.name) }?.name ?? columns.first { $0.type == .text }?.name }
    }

    struct Translation { var sql: String; var explanation: String; var tables: [String] }

    let tables: [Table]
    /// Values of text columns found in the question: (table, column, value).
    let valueLookup: (String, String, String) -> Bool

    // MARK: Words

    static func words(_ text: String) -> [String] {
        var words: [String] = [], current = ""
        var quoted = false
        for character in text.lowercased() {
            if character == "'" || character == "\"" {
                if quoted { words.append("'" + current); current = "" } else if !current.isEmpty { words.append(current); current = "" }
                quoted.toggle()
                continue
            }
            if quoted { current.append(character); continue }
            if character.isLetter || character.isNumber || character == "_" || (character == "." && !current.isEmpty && current.allSatisfy(\.isNumber)) {
                current.append(character)
            } else if !current.isEmpty {
                words.append(current); current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    static func singular(_ word: String) -> String {
        if word.hasSuffix("ies") { return String(word.dropLast(3)) + "y" }
        if word.hasSuffix("ses") || word.hasSuffix("xes") { return String(word.dropLast(2)) }
        if word.hasSuffix("s"), !word.hasSuffix("ss") { return String(word.dropLast()) }
        return word
    }

    /// The table a word names ("orders", "order", "employee").
    func table(_ word: String) -> Table? {
        tables.first { $0.name == word || Self.singular($0.name) == Self.singular(word) }
    }

    /// The column of `table` that the words at `index` name: one word ("amount"), two
    /// ("created at" → created_at), or a word of the column's name ("salary" → base_salary).
    func column(_ words: [String], _ index: Int, in table: Table) -> (name: String, length: Int)? {
        guard index < words.count else { return nil }
        if index + 1 < words.count, table.has(words[index] + "_" + words[index + 1]) { return (words[index] + "_" + words[index + 1], 2) }
        let word = words[index]
        if table.has(word) { return (word, 1) }
        if table.has(Self.singular(word)) { return (Self.singular(word), 1) }
        if let partial = table.columns.first(where: { $0.name.split(separator: "_").contains { String($0) == word || String($0) == Self.singular(word) } }) {
            return (partial.name, 1)
        }
        return nil
    }
}

extension NLTranslator {
    enum Aggregate: String { case count, sum, avg, max, min }

    static let aggregateWords: [(String, Aggregate)] = [
        ("how many", .count), ("number of", .count), ("count", .count), ("total", .sum), ("sum", .sum), ("average", .avg),
        ("avg", .avg), ("mean", .avg), ("highest", .max), ("maximum", .max), ("max", .max), ("largest", .max), ("biggest", .max),
        ("lowest", .min), ("minimum", .min), ("min", .min), ("smallest", .min),
    ]
    static let comparisons: [(String, String)] = [
        ("greater than or equal to", ">="), ("less than or equal to", "<="), ("at least", ">="), ("at most", "<="),
        ("more than", ">"), ("greater than", ">"), ("over", ">"), ("above", ">"), ("exceeding", ">"), ("less than", "<"),
        ("under", "<"), ("below", "<"), ("equal to", "="), ("equals", "="), ("is", "="), ("of", "="),
    ]

    /// The question as one SELECT, or a 422 saying what could not be linked.
    func translate(_ question: String) throws -> Translation {
        let words = Self.words(question)
        let text = " " + words.joined(separator: " ") + " "
        var query = Query(translator: self)
        guard let main = mainTable(words, text) else {
            throw RESTError.invalid("question", "name a table: one of \(tables.map(\.name).joined(separator: ", "))")
        }
        query.main = main
        var used = Set<Int>()
        for (index, word) in words.enumerated() where table(word) != nil { used.insert(index) }
        let limit = topN(words, text)
        let aggregate = aggregateOf(words, text, limit != nil, &query, &used)
        var group = groupOf(words, &query, &used)
        // "top 5 customers by total amount": one row a customer.
        if aggregate != nil, group.isEmpty, limit != nil, let label = main.labelColumn {
            group = [Ref(table: main.name, column: label)]
            if main.has("id") { query.groupKeys.append(Ref(table: main.name, column: "id")) }
        }
        filters(words, &query, &used)
        timeWindow(text, &query)
        return query.sql(aggregate: aggregate, group: group, limit: limit, descending: !text.contains(" lowest ") && !text.contains(" bottom ")
                         && !text.contains(" cheapest ") && !text.contains(" smallest ") && !text.contains(" oldest ") && !text.contains(" ascending "),
                         text: text)
    }

    /// "top 5 customers by …" names the rows; otherwise the first table named.
    func mainTable(_ words: [String], _ text: String) -> Table? {
        for (index, word) in words.enumerated() where (word == "top" || word == "bottom") && index + 2 < words.count {
            if let table = table(words[index + 2]) { return table }
            if let table = table(words[index + 1]) { return table }
        }
        for (index, word) in words.enumerated() where ["many", "of", "list", "show", "which", "all", "each"].contains(word) && index + 1 < words.count {
            if let table = table(words[index + 1]), !["each"].contains(word) { return table }
        }
        if let named = words.lazy.compactMap({ self.table($0) }).first { return named }
        // No table named: the one that has a column the question names ("sum of salary per location").
        for index in words.indices where !Self.stopWords.contains(words[index]) {
            if let table = tables.first(where: { column(words, index, in: $0) != nil }) { return table }
        }
        return nil
    }

    func topN(_ words: [String], _ text: String) -> Int? {
        for (index, word) in words.enumerated() where ["top", "bottom", "first", "the"].contains(word) && index + 1 < words.count {
            if let number = Int(words[index + 1]), number > 0, number <= 1000 { return number }
        }
        if text.contains(" top ") { return 10 }
        return nil
    }
}

extension NLTranslator {
    /// A column of a table taking part in the query.
    struct Ref: Equatable { var table: String; var column: String
        var sql: String { quoteIdentifier(table) + "." + quoteIdentifier(column) }
    }

    /// What the question resolved to so far: the main table, joined tables, conditions.
    struct Query {
        let translator: NLTranslator
        var main = Table(name: "", columns: [])
        var joins: [(table: String, on: String)] = []
        var conditions: [String] = []
        var explanation: [String] = []
        /// Grouped by but not answered (a table's id beside its name).
        var groupKeys: [Ref] = []

        /// Joins `other` to the query along a key, if one relates them (directly or through
        /// a table already joined); false when none does.
        mutating func join(_ other: Table) -> Bool {
            if other.name == main.name || joins.contains(where: { $0.table == other.name }) { return true }
            for base in [main] + joins.compactMap({ name in translator.tables.first { $0.name == name.table } }) {
                if let on = NLTranslator.key(from: base, to: other) {
                    joins.append((other.name, on))
                    return true
                }
            }
            return false
        }

        var tablesInUse: [Table] { [main] + joins.compactMap { join in translator.tables.first { $0.name == join.table } } }

        /// The column the words at `index` name, in the tables in use first, then in any table
        /// that can be joined (which is then joined).
        mutating func column(_ words: [String], _ index: Int) -> (Ref, Int)? {
            for table in tablesInUse {
                if let found = translator.column(words, index, in: table) { return (Ref(table: table.name, column: found.name), found.length) }
            }
            for table in translator.tables where !tablesInUse.contains(where: { $0.name == table.name }) {
                if let found = translator.column(words, index, in: table), join(table) { return (Ref(table: table.name, column: found.name), found.length) }
            }
            return nil
        }

        func sql(aggregate: (NLTranslator.Aggregate, Ref?)?, group: [Ref], limit: Int?, descending: Bool, text: String) -> Translation {
            var select: [String], groupBy: [String] = [], order = ""
            let from = " FROM " + quoteIdentifier(main.name) + joins.map { " JOIN \(quoteIdentifier($0.table)) ON \($0.on)" }.joined()
            let aggregateSQL = aggregate.map { kind, column in kind == .count ? "count(*)" : "\(kind.rawValue)(\(column?.sql ?? "*"))" }
            if let aggregateSQL {
                select = group.map(\.sql) + [aggregateSQL + " AS value"]
                groupBy = (groupKeys + group).map(\.sql)
                if !group.isEmpty {
                    order = limit != nil || text.contains(" most ") ? " ORDER BY value \(descending ? "DESC" : "ASC")" : " ORDER BY " + group.map(\.sql).joined(separator: ", ")
                }
            } else {
                select = [quoteIdentifier(main.name) + ".*"]
                if let sort = sortColumn(text) { order = " ORDER BY \(sort.sql) \(descending ? "DESC" : "ASC")" }
            }
            var sql = "SELECT " + select.joined(separator: ", ") + from
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            if !groupBy.isEmpty { sql += " GROUP BY " + groupBy.joined(separator: ", ") }
            sql += order
            if let limit { sql += " LIMIT \(limit)" }
            let what = aggregate.map { "\($0.0.rawValue) of \($0.1?.column ?? "rows")" } ?? "rows"
            let explanation = (["\(what) from \(main.name)"] + joins.map { "joined with \($0.table)" } + explanation
                + (group.isEmpty ? [] : ["for each \(group.map(\.column).joined(separator: ", "))"]) + (limit.map { ["first \($0)"] } ?? []))
                .joined(separator: ", ")
            return Translation(sql: sql, explanation: explanation, tables: tablesInUse.map(\.name))
        }

        /// "sorted by COLUMN", "by COLUMN", "newest", "latest", "most recent" (the date column).
        func sortColumn(_ text: String) -> Ref? {
            let words = NLTranslator.words(text)
            for (index, word) in words.enumerated() where word == "by" && index + 1 < words.count {
                if let found = translator.column(words, index + 1, in: main) { return Ref(table: main.name, column: found.name) }
            }
            if [" newest ", " latest ", " most recent ", " oldest "].contains(where: text.contains), let date = main.dateColumn {
                return Ref(table: main.name, column: date)
            }
            for (index, word) in words.enumerated() where ["highest", "largest", "biggest", "lowest", "smallest", "most", "cheapest"].contains(word) {
                if let found = translator.column(words, index + 1, in: main) { return Ref(table: main.name, column: found.name) }
                if ["expensive", "cheapest"].contains(words[safe: index + 1] ?? word) || word == "cheapest",
                   let price = main.columns.first(where: { ["price", "amount", "total", "cost"].contains($0.name) }) {
                    return Ref(table: main.name, column: price.name)
                }
            }
            return nil
        }
    }

    /// The join condition from `base` to `other`: base.other_id = other.id, or other.base_id = base.id.
    static func key(from base: Table, to other: Table) -> String? {
        let otherKey = singular(other.name) + "_id", baseKey = singular(base.name) + "_id"
        if base.has(otherKey), other.has("id") { return "\(quoteIdentifier(other.name)).id = \(quoteIdentifier(base.name)).\(quoteIdentifier(otherKey))" }
        if other.has(baseKey), base.has("id") { return "\(quoteIdentifier(other.name)).\(quoteIdentifier(baseKey)) = \(quoteIdentifier(base.name)).id" }
        return nil
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

extension NLTranslator {
    /// "total amount", "average salary of employees", "how many …" → the aggregate and its column.
    func aggregateOf(_ words: [String], _ text: String, _ wantsRows: Bool, _ query: inout Query, _ used: inout Set<Int>) -> (Aggregate, Ref?)? {
        for (phrase, kind) in Self.aggregateWords {
            let parts = phrase.split(separator: " ").map(String.init)
            guard let start = words.indices.first(where: { index in parts.indices.allSatisfy { words[safe: index + $0] == parts[$0] } }) else { continue }
            // "the highest salary" is a max only when no "top N" asks for rows.
            if kind == .max || kind == .min, wantsRows { continue }
            var index = start + parts.count
            while let word = words[safe: index], ["of", "the", "all", "a", "an"].contains(word) { index += 1 }
            if kind == .count {
                // "number of employees" per department: count the rows of the table named.
                if let word = words[safe: index], let counted = table(word), counted.name != query.main.name { _ = query.join(counted) }
                return (.count, nil)
            }
            if let (ref, length) = query.column(words, index) {
                for offset in 0..<length { used.insert(index + offset) }
                return (kind, ref)
            }
            if let word = words[safe: index], let table = table(word), let amount = table.columns.first(where: { $0.type.isNumeric && $0.name != "id" && !$0.name.hasSuffix("_id") }), query.join(table) {
                return (kind, Ref(table: table.name, column: amount.name))
            }
        }
        return nil
    }

    /// "per city", "by status", "for each department", "in each category".
    func groupOf(_ words: [String], _ query: inout Query, _ used: inout Set<Int>) -> [Ref] {
        for (index, word) in words.enumerated() where ["per", "by", "each"].contains(word) {
            if word == "by", words[safe: index - 1] == "sorted" || words[safe: index - 1] == "ordered" { continue }
            if word == "by", !words.contains(where: { w in Self.aggregateWords.contains { $0.0 == w } }) && !words.contains("many") && !words.contains("number") { continue }
            let next = index + 1
            if let other = words[safe: next].flatMap(table) {
                if query.join(other), let label = other.labelColumn {
                    used.insert(next)
                    if other.has("id") { query.groupKeys.append(Ref(table: other.name, column: "id")) }
                    return [Ref(table: other.name, column: label)]
                }
            }
            if let (ref, length) = query.column(words, next) {
                for offset in 0..<length { used.insert(next + offset) }
                return [ref]
            }
        }
        return []
    }
}

extension NLTranslator {
    /// Conditions: comparisons on named columns, values of text columns, boolean columns.
    func filters(_ words: [String], _ query: inout Query, _ used: inout Set<Int>) {
        var index = 0
        while index < words.count {
            defer { index += 1 }
            guard !used.contains(index), !Self.stopWords.contains(words[index]) else { continue }
            if let (ref, length) = query.column(words, index), let type = type(of: ref) {
                let after = index + length
                if type == .bool {
                    let negated = words[safe: index - 1] == "not" || words[safe: index - 1] == "non" || words[safe: index - 1] == "inactive"
                    if after >= words.count || !["is", "="].contains(words[after]) {
                        query.conditions.append("\(ref.sql) = \(negated ? "false" : "true")")
                        for offset in 0..<length { used.insert(index + offset) }
                        continue
                    }
                }
                if let (op, value, consumed) = comparison(words, after, type) {
                    query.conditions.append("\(ref.sql) \(op) \(value)")
                    for offset in 0..<(length + consumed) { used.insert(index + offset) }
                    index = after + consumed - 1
                    continue
                }
            }
            if let (ref, value, length) = valueMatch(words, index, &query) {
                query.conditions.append("lower(\(ref.sql)) = \(Self.literal(value))")
                for offset in 0..<length { used.insert(index + offset) }
                index += length - 1
            }
        }
    }

    static let stopWords: Set<String> = ["the", "a", "an", "of", "in", "from", "with", "where", "whose", "that", "have", "has", "and", "is", "are",
                                         "what", "which", "show", "list", "me", "all", "how", "many", "number", "top", "by", "per", "each", "for",
                                         "last", "this", "month", "year", "week", "days", "day", "today", "yesterday", "total", "average", "sum"]

    func type(of ref: Ref) -> SQLType? { tables.first { $0.name == ref.table }?.type(ref.column) }

    /// "over 100", "at least 3", "is 'shipped'", "= 5" after a column.
    func comparison(_ words: [String], _ index: Int, _ type: SQLType) -> (String, String, Int)? {
        for (phrase, op) in Self.comparisons {
            let parts = phrase.split(separator: " ").map(String.init)
            guard parts.indices.allSatisfy({ words[safe: index + $0] == parts[$0] }), let value = words[safe: index + parts.count] else { continue }
            if type.isNumeric, let number = Double(value) { return (op, Self.number(number), parts.count + 1) }
            if !type.isNumeric, op == "=" { return (op, Self.literal(value.hasPrefix("'") ? String(value.dropFirst()) : value), parts.count + 1) }
        }
        return nil
    }

    /// A word (or two) that is a value of a text column of a table in use or a joinable one:
    /// "in berlin", "shipped orders", "the engineering department".
    func valueMatch(_ words: [String], _ index: Int, _ query: inout Query) -> (Ref, String, Int)? {
        var candidates: [(String, Int)] = []
        if let next = words[safe: index + 1] { candidates.append((words[index] + " " + next, 2)) }
        candidates.append((words[index].hasPrefix("'") ? String(words[index].dropFirst()) : words[index], 1))
        let ordered = query.tablesInUse + tables.filter { table in !query.tablesInUse.contains { $0.name == table.name } }
        for (value, length) in candidates where !value.isEmpty && Double(value) == nil {
            for table in ordered {
                for column in table.columns where column.type == .text && valueLookup(table.name, column.name, value) {
                    guard query.join(table) else { continue }
                    return (Ref(table: table.name, column: column.name), value, length)
                }
            }
        }
        return nil
    }

    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
    static func number(_ value: Double) -> String { value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value) }

    /// Time windows on the date column of the main table (or of a joined one).
    func timeWindow(_ text: String, _ query: inout Query) {
        guard let column = (query.tablesInUse.lazy.compactMap { table in table.dateColumn.map { Ref(table: table.name, column: $0) } }.first) else { return }
        let c = column.sql
        let windows: [(String, String)] = [
            (" last month ", "\(c) >= date_trunc('month', now()) - interval '1 month' AND \(c) < date_trunc('month', now())"),
            (" this month ", "\(c) >= date_trunc('month', now())"),
            (" last year ", "\(c) >= date_trunc('year', now()) - interval '1 year' AND \(c) < date_trunc('year', now())"),
            (" this year ", "\(c) >= date_trunc('year', now())"),
            (" last week ", "\(c) >= now() - interval '7 days'"),
            (" today ", "\(c) >= date_trunc('day', now())"),
            (" yesterday ", "\(c) >= date_trunc('day', now()) - interval '1 day' AND \(c) < date_trunc('day', now())"),
        ]
        for (phrase, condition) in windows where text.contains(phrase) {
            query.conditions.append(condition)
            query.explanation.append(phrase.trimmingCharacters(in: .whitespaces) + " by \(column.column)")
            return
        }
        if let days = PipelineGenerator.capture(#" last ([0-9]{1,4}) days "#, text) {
            query.conditions.append("\(c) >= now() - interval '\(days) days'")
            return
        }
        if let year = PipelineGenerator.capture(#" in ((?:19|20)[0-9]{2}) "#, text) {
            query.conditions.append("\(c) >= '\(year)-01-01' AND \(c) < '\((Int(year) ?? 0) + 1)-01-01'")
        }
    }
}
