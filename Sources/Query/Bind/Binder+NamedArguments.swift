import VireoStorage

/// `f(a, name => b)`: calls of the built-in functions whose parameters have names, turned
/// into positional calls (a parameter not given takes its default) before they are bound.
extension Binder {
    /// A function's parameters in order, each with its default (nil: it must be given).
    struct NamedParameters {
        var names: [String]
        var defaults: [SQLExpression?]
    }

    /// The parameters of the functions that take arguments by name, as PostgreSQL 15 names
    /// them: make_interval's are all 0 when not given; the jsonpath functions take
    /// `vars => '{}'` and `silent => false` unless told otherwise.
    static let namedParameters: [String: NamedParameters] = {
        let interval = NamedParameters(names: ["years", "months", "weeks", "days", "hours", "mins", "secs"],
                                       defaults: Array(repeating: .literal(.integer(0)), count: 7))
        let jsonPath = NamedParameters(names: ["target", "path", "vars", "silent"],
                                       defaults: [nil, nil, .literal(.string("{}")), .literal(.boolean(false))])
        let pathFunctions = ["jsonb_path_exists", "jsonb_path_match", "jsonb_path_query", "jsonb_path_query_array",
                             "jsonb_path_query_first"]
        return Dictionary(uniqueKeysWithValues: [("make_interval", interval)] + pathFunctions.map { ($0, jsonPath) })
    }()

    /// `call` with its arguments in parameter order and no names; 42883 (as PostgreSQL) for
    /// a function without named parameters, an unknown name, a name given where a positional
    /// argument already stands, or a parameter without a default left out.
    func positionalCall(_ call: FunctionCall, _ scope: Scope) throws -> FunctionCall {
        guard call.argumentNames.contains(where: { $0 != nil }) else { return call }
        guard let parameters = Self.namedParameters[call.name] else {
            throw noSuchSignature(call, scope)
        }
        var positional: [SQLExpression?] = parameters.defaults
        var given = Set<Int>()
        // Positional arguments come first (the parser sees to it).
        let positionalCount = call.argumentNames.prefix { $0 == nil }.count
        for (index, argument) in call.arguments.enumerated() {
            let name = index < call.argumentNames.count ? call.argumentNames[index] : nil
            guard let position = name.map({ parameters.names.firstIndex(of: $0) }) ?? index,
                  position < positional.count, name == nil || position >= positionalCount else {
                throw noSuchSignature(call, scope)
            }
            guard given.insert(position).inserted else {
                throw VireoError(.syntaxError, "argument name \"\(parameters.names[position])\" used more than once")
            }
            positional[position] = argument
        }
        guard positional.allSatisfy({ $0 != nil }) else { throw noSuchSignature(call, scope) }
        var plain = call
        plain.arguments = positional.compactMap { $0 }
        plain.argumentNames = []
        return plain
    }

    /// 42883 naming the call's argument types as PostgreSQL does: `f(unknown, silent => boolean)`.
    private func noSuchSignature(_ call: FunctionCall, _ scope: Scope) -> VireoError {
        let described = call.arguments.enumerated().map { index, argument in
            let type = (try? bind(argument, scope))?.type ?? .unknown
            let name = index < call.argumentNames.count ? call.argumentNames[index].map { "\($0) => " } ?? "" : ""
            return name + (type == .unknown ? "unknown" : type.description)
        }
        return VireoError(.undefinedFunction, "function \(call.name)(\(described.joined(separator: ", "))) does not exist",
                          hint: "No function matches the given name and argument types. You might need to add explicit type casts.")
    }
}
