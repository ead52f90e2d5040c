import Hummingbird
import VireoQuery
import VireoStorage

/// An error as the REST surfaces answer it: a status, a stable code clients may match on,
/// a message for people, and the request field at fault when there is one.
///
/// In the body it is the envelope
/// `{"error": {"code", "message", "field", "sqlstate"}, "detail": message, "request_id"}`;
/// `detail` repeats the message where FastAPI-style clients look for it.
public struct RESTError: Error, Sendable {
    /// The HTTP status of the answer.
    public var status: HTTPResponse.Status
    /// Stable and machine-readable: `validation_error`, `table_not_found`, an engine code …
    public var code: String
    /// For people; may quote the offending value, never another row's data.
    public var message: String
    /// Where in the request the problem is: `name`, `columns.age`, `rows[2].embedding`, a
    /// query parameter or a path parameter.
    public var field: String?
    /// The engine's SQLSTATE when the engine raised the error.
    public var sqlState: String?
    /// Headers the answer needs, such as `Allow` on a 405.
    public var headers: HTTPFields = [:]

    /// An error answered with `status`.
    public init(_ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    /// A request that is well-formed JSON but does not fit the route's schema (422).
    public static func invalid(_ field: String, _ message: String) -> RESTError {
        RESTError(.unprocessableContent, code: "validation_error", message, field: field)
    }

    /// A body that is not JSON at all (400).
    static func malformedJSON(_ message: String) -> RESTError {
        RESTError(.badRequest, code: "malformed_json", message, field: "body")
    }

    /// Something named in the path that does not exist (404).
    static func notFound(_ message: String, field: String? = nil) -> RESTError {
        RESTError(.notFound, code: "not_found", message, field: field)
    }

    /// The envelope as JSON.
    func body(requestID: String) -> JSONValue {
        let error: [(String, JSONValue)] = [
            ("code", .string(code)), ("message", .string(message)),
            ("field", field.map(JSONValue.string) ?? .null), ("sqlstate", sqlState.map(JSONValue.string) ?? .null),
        ]
        return .object([("error", .object(error)), ("detail", .string(message)), ("request_id", .string(requestID))])
    }
}

extension RESTError {
    /// The one place where engine errors become HTTP statuses: what the client can fix is
    /// 4xx, what the server must recover from is 5xx (503 when retrying later may work).
    public init(_ error: VireoError) {
        // PostgreSQL's DETAIL (which key, which limit) joins the message: a REST error has one text.
        self.init(Self.status(of: error.code), code: error.code.rawValue, error.message + (error.detail.map { ": " + $0 } ?? ""))
        sqlState = error.sqlState
    }

    static func status(of code: VireoError.Code) -> HTTPResponse.Status {
        switch code {
        case .undefinedTable, .invalidCatalogName, .invalidSchemaName: .notFound
        case .duplicateObject, .duplicateTable, .duplicateColumn, .dependentObjectsStillExist, .uniqueViolation, .foreignKeyViolation, .inFailedTransaction, .transactionState, .serializationFailure, .deadlockDetected,
             .noActiveTransaction, .activeTransaction, .invalidSavepoint, .duplicateCursor, .duplicatePreparedStatement, .duplicateSchema, .duplicateFunction: .conflict
        case .syntaxError, .undefinedColumn, .undefinedObject, .invalidStatementName, .invalidCursorName, .undefinedFunction, .notNullViolation, .checkViolation, .invalidForeignKey, .typeMismatch,
             .invalidParameter, .dataException, .invalidTextRepresentation, .divisionByZero, .featureNotSupported,
             .limitExceeded, .statementTooComplex, .tooManyColumns, .tooManyArguments, .externalRoutineInvocation, .cardinalityViolation, .ambiguousColumn, .groupingError, .invalidColumnReference,
             .substringError, .invalidRowCount, .numericOutOfRange, .invalidRecursion, .duplicateAlias, .windowingError,
             .invalidNtileArgument, .invalidNthValueArgument, .invalidFrameOffset, .wrongObjectType,
             .invalidOffsetCount, .stringDataRightTruncation, .stringDataLengthMismatch, .invalidDatetimeFormat, .datetimeFieldOverflow, .intervalFieldOverflow,
             .generatedAlways, .invalidObjectDefinition, .indeterminateDatatype, .nullValueNotAllowed, .invalidLogarithmArgument, .invalidPowerArgument, .characterNotInRepertoire,
             .invalidWidthBucketArgument, .invalidTableDefinition, .undefinedParameter, .ambiguousFunction, .cannotCoerce, .invalidEscapeSequence,
             .objectNotInPrerequisiteState, .withCheckOptionViolation, .invalidName, .badCopyFileFormat, .sequenceGeneratorLimitExceeded,
             .invalidSQLJSONSubscript, .nonNumericSQLJSONItem, .singletonSQLJSONItemRequired, .sqlJSONArrayNotFound,
             .sqlJSONMemberNotFound, .sqlJSONNumberNotFound, .sqlJSONObjectNotFound, .invalidTablesampleArgument, .invalidTablesampleRepeat,
             .arraySubscriptError, .invalidFunctionDefinition, .raiseException:
            .badRequest
        case .readOnly, .lockNotAvailable, .ioError, .queryCanceled, .idleInTransactionTimeout: .serviceUnavailable
        case .diskFull: .init(code: 507, reasonPhrase: "Insufficient Storage")
        case .corruption, .internalError: .internalServerError
        }
    }

    /// Hummingbird's own errors (413 from the body limit, 404 from the router …) in the envelope.
    init(_ error: HTTPError) {
        let code = switch error.status {
        case .contentTooLarge: "body_too_large"
        case .notFound: "not_found"
        case .badRequest: "bad_request"
        default: "http_error"
        }
        self.init(error.status, code: code, error.body ?? error.status.reasonPhrase)
    }
}
