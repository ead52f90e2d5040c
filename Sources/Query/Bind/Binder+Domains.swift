import VireoStorage

/// Domains (CREATE DOMAIN): a value of a domain is a value of its base type that passed the
/// domain's constraints. The check runs where PostgreSQL runs it: a cast to the domain, a
/// value stored into a column of the domain, and the default such a column takes.
extension Binder {
    /// `expression`, already of the domain's base type, checked against `domain`'s
    /// constraints when evaluated (23502 for NULL under NOT NULL, 23514 for a failed CHECK).
    func domainChecked(_ expression: BoundExpression, _ domain: DomainDefinition) throws -> BoundExpression {
        let checks = try domainChecks(domain)
        let name = domain.name, notNull = domain.notNull
        let check = ScalarFunction(name: "domain " + name, arity: 1...1, parameterTypes: [], isStrict: false, isVolatile: false,
                                   resultType: { $0.first ?? .unknown }, body: { $0[0] }, contextBody: { values, context in
            let value = values[0]
            if value.isNull {
                if notNull { throw VireoError(.notNullViolation, "domain \(name) does not allow null values") }
                return value
            }
            for (constraint, predicate) in checks {
                guard try Evaluator.evaluate(predicate, [value], context) != .bool(false) else {
                    throw VireoError(.checkViolation, "value for domain \(name) violates check constraint \"\(constraint)\"")
                }
            }
            return value
        })
        return .function(check, [expression])
    }

    /// Each CHECK of `domain` bound over one column, VALUE, of the base type.
    func domainChecks(_ domain: DomainDefinition) throws -> [(String, BoundExpression)] {
        let baseType = try Self.sqlType(try Parser.parseTypeName(domain.baseType), in: catalog)
        var scope = Scope()
        scope.addDerived(name: domain.name, columns: [ResultColumn(name: "value", type: baseType)])
        return try domain.checks.map { check in
            let typed = try Binder(catalog: catalog).bind(try Parser.parseExpression(check.expression), scope)
            guard typed.type == .bool || typed.type == .unknown else {
                throw VireoError(.typeMismatch, "argument of CHECK must be type boolean, not type \(typed.type)")
            }
            return (check.name, typed.expression)
        }
    }

    /// `CAST(operand AS domain)`: the cast to the base type, then the domain's check; nil
    /// when `typeName` names no domain.
    func domainCast(_ operand: SQLExpression, _ typeName: TypeName, _ scope: Scope) throws -> Typed? {
        guard case .other(let name, []) = typeName, let domain = catalog.domain(named: name) else { return nil }
        let base = try bind(.cast(operand, try Parser.parseTypeName(domain.baseType)), scope)
        return (try domainChecked(base.expression, domain), base.type)
    }

    /// A value stored into `column` checked against its domain, when it has one.
    func domainAssigned(_ expression: BoundExpression, to column: VireoStorage.ColumnDefinition) throws -> BoundExpression {
        guard let name = column.domain, let domain = catalog.domain(named: name) else { return expression }
        return try domainChecked(expression, domain)
    }
}
