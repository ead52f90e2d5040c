import VireoStorage

/// Changing a jsonb document at a text[] path, as PostgreSQL's setPath does for jsonb_set,
/// jsonb_insert and `#-`: each step names an object key or an array index (negative from
/// the end); a step through a scalar, a missing key or an index past the end leaves the
/// document as it is, unless the edit adds its value at the path's last step.
enum JSONPathEdit {
    /// jsonb_set: the value at the path replaced; with `create`, added when missing.
    case replace(JSONValue, create: Bool)
    /// `#-`: the value at the path removed.
    case delete
    /// jsonb_insert: the value put before (or after) the array element at the path, or
    /// under the missing key; 22023 for a key that exists.
    case insert(JSONValue, after: Bool)

    /// The value this edit adds where the path's last step finds nothing; nil when it adds none.
    var added: JSONValue? {
        switch self {
        case .replace(let value, let create): create ? value : nil
        case .insert(let value, _): value
        case .delete: nil
        }
    }

    /// A text[] path as steps, NULL elements kept (an error only when the edit reaches them).
    static func steps(_ path: Value) -> [String?] {
        (ArrayFunctions.elements(path) ?? []).map { $0.isNull ? nil : Cast.textForm($0) }
    }
}

extension JSONValue {
    /// The document with `edit` applied at `path` from step `level` on (`path` not empty).
    func editing(_ path: [String?], _ edit: JSONPathEdit, level: Int = 0) throws -> JSONValue {
        guard let step = path[level] else {
            throw VireoError(.nullValueNotAllowed, "path element at position \(level + 1) is null")
        }
        switch self {
        case .object(let members): return try editing(members, key: step, path, edit, level: level)
        case .array(let items): return try editing(items, index: step, path, edit, level: level)
        default: return self
        }
    }

    private func editing(_ members: [(String, JSONValue)], key: String, _ path: [String?], _ edit: JSONPathEdit,
                         level: Int) throws -> JSONValue {
        let last = level == path.count - 1
        guard let position = members.firstIndex(where: { $0.0 == key }) else {
            guard last, let added = edit.added else { return self }
            return JSONValue.jsonbObject(members + [(key, added)])
        }
        var changed = members
        guard last else {
            changed[position].1 = try members[position].1.editing(path, edit, level: level + 1)
            return .object(changed)
        }
        switch edit {
        case .replace(let value, _): changed[position].1 = value
        case .delete: changed.remove(at: position)
        case .insert:
            throw VireoError(.invalidParameter, "cannot replace existing key", hint: "Try using the function jsonb_set to replace key value.")
        }
        return .object(changed)
    }

    private func editing(_ items: [JSONValue], index step: String, _ path: [String?], _ edit: JSONPathEdit,
                         level: Int) throws -> JSONValue {
        guard let written = Int32(step.trimmingPrefix(while: \.isWhitespace)) else {
            throw VireoError(.invalidTextRepresentation, "path element at position \(level + 1) is not an integer: \"\(step)\"")
        }
        let index = Int(written), last = level == path.count - 1
        // Before the first element (nil), at one, or past the last (items.count).
        let position: Int? = index < 0 ? (-index > items.count ? nil : items.count + index) : min(index, items.count)
        var changed = items
        guard let position, position < items.count else {
            guard last, let added = edit.added else { return self }
            if position == nil { changed.insert(added, at: 0) } else { changed.append(added) }
            return .array(changed)
        }
        guard last else {
            changed[position] = try items[position].editing(path, edit, level: level + 1)
            return .array(changed)
        }
        switch edit {
        case .replace(let value, _): changed[position] = value
        case .delete: changed.remove(at: position)
        case .insert(let value, let after): changed.insert(value, at: after ? position + 1 : position)
        }
        return .array(changed)
    }
}

extension Functions {
    /// jsonb_set, jsonb_insert and jsonb_delete_path (`#-`): their checks of the document
    /// and the path, as PostgreSQL makes them, then the edit.
    static func editedPath(_ document: Value, _ path: Value, _ edit: JSONPathEdit) throws -> Value {
        let json = try JSONValue.jsonb(string(document))
        let steps = JSONPathEdit.steps(path)
        switch json {
        case .object(let members) where members.isEmpty && edit.added == nil: return document
        case .array(let items) where items.isEmpty && edit.added == nil: return document
        case .object, .array: break
        default:
            if case .delete = edit { throw VireoError(.invalidParameter, "cannot delete path in scalar") }
            throw VireoError(.invalidParameter, "cannot set path in scalar")
        }
        guard !steps.isEmpty else { return .json(json.text) }
        return .json(try json.editing(steps, edit).text)
    }
}
