/// Whether the running statement's session has public on its search path. PostgreSQL's
/// catalog functions (format_type, pg_get_indexdef, pg_get_viewdef) qualify an object that
/// the search path does not reach; pg_dump empties the search path and writes what they
/// give into the dump, which must then name `public.vector(3)` and `public.mood` for a
/// restore (which runs with the same empty search path) to find them.
public enum SearchPath {
    @TaskLocal public static var publicIsVisible = true

    /// `name` of an object in public, as the catalog functions print it.
    static func qualified(_ name: String?) -> String? {
        guard let name, !publicIsVisible else { return name }
        return "public." + name
    }

    /// `nextval('sequence'::regclass)`, a serial column's default as pg_get_expr prints it;
    /// `sequence` is written as an identifier (quoted where it must be).
    static func nextvalDefault(_ sequence: String) -> String {
        "nextval(" + quoteString((publicIsVisible ? "" : "public.") + sequence) + "::regclass)"
    }

    /// The sequence (as written, without `public.`) of a default that is `nextval('s'::regclass)`.
    static func nextvalSequence(_ expression: SQLExpression) -> String? {
        guard case .function(let call) = expression, call.name == "nextval", call.arguments.count == 1,
              case .cast(.literal(.string(let name)), .other("regclass", _)) = call.arguments[0] else { return nil }
        return name.hasPrefix("public.") ? String(name.dropFirst("public.".count)) : name
    }

    /// A default as pg_get_expr prints it: a sequence's nextval qualified when public is not
    /// on the search path (pg_dump's `SET DEFAULT nextval('public.items_id_seq'::regclass)`).
    static func printedDefault(_ text: String) -> String {
        guard !publicIsVisible, text.hasPrefix("nextval("), let expression = try? Parser.parseExpression(text),
              let sequence = nextvalSequence(expression) else { return text }
        return nextvalDefault(sequence)
    }
}
