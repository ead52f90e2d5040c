import Foundation
import Testing
@testable import VireoQuery

@Suite("Names next to Foundation")
struct FoundationNameTests {
    @Test("AST names do not clash with Foundation's when both are imported")
    func names() throws {
        let expression: SQLExpression = try Parser.parseExpression("1")
        let statement: Statement = try Parser.parseStatement("SELECT 1")
        #expect(expression == .literal(.integer(1)))
        #expect(statement.sql == "SELECT 1")
        let types: [Any.Type] = [
            StatementBody.self, Query.self, QueryBody.self, Select.self, SelectItem.self, TableReference.self,
            Join.self, OrderItem.self, SetOperation.self, Insert.self, InsertSource.self, OnConflict.self,
            Update.self, Delete.self, Assignment.self, ColumnValue.self, CreateTable.self, ColumnDefinition.self,
            ColumnConstraint.self, TableConstraint.self, DropTable.self, AlterTable.self, AlterTableAction.self,
            CreateIndex.self, IndexColumn.self, IndexOption.self, DropIndex.self, CreateExtension.self,
            TransactionCommand.self, SettingValue.self, SetStatement.self, ShowStatement.self, ResetStatement.self,
            Explain.self, ExplainOption.self, Literal.self, ColumnReference.self, FunctionCall.self,
            CaseExpression.self, UnaryOperator.self, BinaryOperator.self, Precedence.self, TypeName.self,
            TableName.self, SyntaxLimits.self, Parser.self,
        ]
        #expect(types.count == 46)
    }
}
