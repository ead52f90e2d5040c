/// The one error type of the engine. Every kind has a stable `code`; each code maps to a
/// PostgreSQL SQLSTATE (for pgwire) and, in the network layer, to an HTTP status.
public struct VireoError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Stable kinds of failure. The raw value is the name clients may match on.
    public enum Code: String, Sendable, CaseIterable {
        case syntaxError = "syntax_error"
        case undefinedTable = "undefined_table"
        case undefinedColumn = "undefined_column"
        case undefinedObject = "undefined_object"
        case duplicateObject = "duplicate_object"
        case uniqueViolation = "unique_violation"
        case notNullViolation = "not_null_violation"
        case typeMismatch = "type_mismatch"
        case invalidParameter = "invalid_parameter"
        case dataException = "data_exception"
        case invalidTextRepresentation = "invalid_text_representation"
        case divisionByZero = "division_by_zero"
        case featureNotSupported = "feature_not_supported"
        case transactionState = "invalid_transaction_state"
        case inFailedTransaction = "in_failed_sql_transaction"
        case readOnly = "read_only"
        case lockNotAvailable = "lock_not_available"
        case queryCanceled = "query_canceled"
        case serializationFailure = "serialization_failure"
        case deadlockDetected = "deadlock_detected"
        case idleInTransactionTimeout = "idle_in_transaction_session_timeout"
        case ioError = "io_error"
        case diskFull = "disk_full"
        case corruption = "corruption"
        case limitExceeded = "limit_exceeded"
        /// A query too complex to plan (more grouping sets than PostgreSQL's 4096).
        case statementTooComplex = "statement_too_complex"
        /// More elements than a construct takes (CUBE's 12).
        case tooManyColumns = "too_many_columns"
        /// More arguments than a function takes (GROUPING's 31).
        case tooManyArguments = "too_many_arguments"
        /// An extension function's own failure (pgcrypto's "Length not in range").
        case externalRoutineInvocation = "external_routine_invocation_exception"
        case cardinalityViolation = "cardinality_violation"
        case undefinedFunction = "undefined_function"
        case ambiguousColumn = "ambiguous_column"
        case groupingError = "grouping_error"
        case invalidColumnReference = "invalid_column_reference"
        case substringError = "substring_error"
        case invalidRowCount = "invalid_row_count_in_limit_clause"
        case numericOutOfRange = "numeric_value_out_of_range"
        case internalError = "internal_error"
        case invalidRecursion = "invalid_recursion"
        case duplicateAlias = "duplicate_alias"
        case windowingError = "windowing_error"
        case invalidNtileArgument = "invalid_argument_for_ntile_function"
        case invalidNthValueArgument = "invalid_argument_for_nth_value_function"
        case invalidFrameOffset = "invalid_preceding_or_following_size"
        case wrongObjectType = "wrong_object_type"
        case invalidOffsetCount = "invalid_row_count_in_result_offset_clause"
        case stringDataRightTruncation = "string_data_right_truncation"
        case invalidDatetimeFormat = "invalid_datetime_format"
        case datetimeFieldOverflow = "datetime_field_overflow"
        /// One field of an interval's input beyond its range (`'2147483648 days'`).
        case intervalFieldOverflow = "interval_field_overflow"
        /// A value written into a GENERATED ALWAYS column.
        case generatedAlways = "generated_always"
        case invalidObjectDefinition = "invalid_object_definition"
        case noActiveTransaction = "no_active_sql_transaction"
        case invalidSavepoint = "invalid_savepoint_specification"
        /// A prepared statement or portal name that names none (26000).
        case invalidStatementName = "invalid_sql_statement_name"
        case indeterminateDatatype = "indeterminate_datatype"
        case nullValueNotAllowed = "null_value_not_allowed"
        case invalidLogarithmArgument = "invalid_argument_for_logarithm"
        case invalidPowerArgument = "invalid_argument_for_power_function"
        /// Bytes that are not UTF-8 (22021).
        case characterNotInRepertoire = "character_not_in_repertoire"
        case invalidWidthBucketArgument = "invalid_argument_for_width_bucket_function"
        /// An operator with several equally good candidates (42725).
        case ambiguousFunction = "ambiguous_function"
        /// A cast between types that have none (42846).
        case cannotCoerce = "cannot_coerce"
        /// A malformed escape in an E'…' string (22025).
        case invalidEscapeSequence = "invalid_escape_sequence"
        /// A table, index or view of that name exists (42P07).
        case duplicateTable = "duplicate_table"
        /// A statement that cannot run inside a transaction block (DISCARD ALL) (25001).
        case activeTransaction = "active_sql_transaction"
        /// A database name the server does not have (3D000).
        case invalidCatalogName = "invalid_catalog_name"
        /// DROP of an object others depend on, without CASCADE (2BP01).
        case dependentObjectsStillExist = "dependent_objects_still_exist"
        /// CREATE OR REPLACE VIEW that would drop or change a column (42P16).
        case invalidTableDefinition = "invalid_table_definition"
        /// Two columns of one relation with one name (42701).
        case duplicateColumn = "duplicate_column"
        /// A `$n` where no parameter can be given (a view's query) (42P02).
        case undefinedParameter = "undefined_parameter"
        /// A row for which a CHECK constraint is false (23514).
        case checkViolation = "check_violation"
        /// The object cannot take the operation in its state: a write into a view (55000).
        case objectNotInPrerequisiteState = "object_not_in_prerequisite_state"
        /// A row written through a view that its WITH CHECK OPTION would not show (44000).
        case withCheckOptionViolation = "with_check_option_violation"
        /// A row whose key has no match in the referenced table, or a referenced key that
        /// goes while rows still refer to it (23503).
        case foreignKeyViolation = "foreign_key_violation"
        /// A FOREIGN KEY whose referenced columns are not a primary key or unique (42830).
        case invalidForeignKey = "invalid_foreign_key"
        // New codes go last: code compiled against the earlier list keeps its meaning.
        /// A cursor name that names no open cursor (34000).
        case invalidCursorName = "invalid_cursor_name"
        /// DECLARE of a name an open cursor has (42P03).
        case duplicateCursor = "duplicate_cursor"
        /// COPY data that is not in the binary format it claims (22P04).
        case badCopyFileFormat = "bad_copy_file_format"
        /// nextval past a sequence's MAXVALUE or MINVALUE without CYCLE (2200H).
        case sequenceGeneratorLimitExceeded = "sequence_generator_limit_exceeded"
        /// A bit string of another length than its bit(n) type's (22026).
        case stringDataLengthMismatch = "string_data_length_mismatch"
        /// PREPARE of a name a prepared statement of the session already has (42P05).
        case duplicatePreparedStatement = "duplicate_prepared_statement"
        /// A schema name that names none (3F000).
        case invalidSchemaName = "invalid_schema_name"
        /// CREATE SCHEMA of a schema that exists (42P06).
        case duplicateSchema = "duplicate_schema"
        /// 42602: a name (an enum label) too long or empty.
        case invalidName = "invalid_name"
        /// SQL/JSON path errors (jsonpath in strict mode, its arithmetic and item methods):
        /// a subscript out of bounds or not a number (22033), an item method's operand of
        /// the wrong type (22036), an operand that is not one numeric item (22038), an
        /// array, member, number or object accessor on another kind of item (22039, 2203A,
        /// 2203B, 2203C).
        case invalidSQLJSONSubscript = "invalid_sql_json_subscript"
        case nonNumericSQLJSONItem = "non_numeric_sql_json_item"
        case singletonSQLJSONItemRequired = "singleton_sql_json_item_required"
        case sqlJSONArrayNotFound = "sql_json_array_not_found"
        case sqlJSONMemberNotFound = "sql_json_member_not_found"
        case sqlJSONNumberNotFound = "sql_json_number_not_found"
        case sqlJSONObjectNotFound = "sql_json_object_not_found"
        /// A TABLESAMPLE percentage that is NULL or outside 0–100, or the wrong number of them (2202H).
        case invalidTablesampleArgument = "invalid_tablesample_argument"
        /// A TABLESAMPLE REPEATABLE seed that is NULL (2202G).
        case invalidTablesampleRepeat = "invalid_tablesample_repeat"
        /// Array dimensions that do not fit together, or a subscript out of range (2202E).
        case arraySubscriptError = "array_subscript_error"
        /// CREATE FUNCTION of a name and argument types a function has (42723).
        case duplicateFunction = "duplicate_function"
        /// A function whose body does not fit its declaration (42P13).
        case invalidFunctionDefinition = "invalid_function_definition"
        /// PL/pgSQL's RAISE EXCEPTION (P0001), or with its own SQLSTATE (`USING ERRCODE`).
        case raiseException = "raise_exception"
    }

    public var code: Code
    public var message: String
    /// Byte offset into the statement text, for syntax errors.
    public var position: Int?
    /// HINT and DETAIL, rare, behind one reference: a VireoError travels inside every token
    /// and parser frame, and deep nesting is bounded by the stack those frames take.
    private var notes: Notes?

    /// PostgreSQL's HINT: how to fix it, when there is one thing to suggest.
    public var hint: String? {
        get { notes?.hint }
        set { notes = Notes.make(hint: newValue, detail: detail, sqlState: notes?.sqlState) }
    }

    /// PostgreSQL's DETAIL: the values or objects the message is about.
    public var detail: String? {
        get { notes?.detail }
        set { notes = Notes.make(hint: hint, detail: newValue, sqlState: notes?.sqlState) }
    }

    public init(_ code: Code, _ message: String, position: Int? = nil, hint: String? = nil, detail: String? = nil) {
        self.code = code
        self.message = message
        self.position = position
        self.notes = Notes.make(hint: hint, detail: detail)
    }

    /// An error a program raises with any SQLSTATE (PL/pgSQL's `RAISE … USING ERRCODE`): of
    /// the code that has it, or `raiseException` carrying it.
    public static func raised(sqlState: String, _ message: String, hint: String? = nil, detail: String? = nil) -> VireoError {
        if let code = Code.allCases.first(where: { VireoError($0, "").sqlState == sqlState }) {
            return VireoError(code, message, hint: hint, detail: detail)
        }
        var error = VireoError(.raiseException, message)
        error.notes = Notes.make(hint: hint, detail: detail, sqlState: sqlState)
        return error
    }

    private final class Notes: Sendable, Equatable {
        let hint: String?
        let detail: String?
        /// A SQLSTATE no `Code` has (`raised`).
        let sqlState: String?

        private init(hint: String?, detail: String?, sqlState: String?) {
            self.hint = hint
            self.detail = detail
            self.sqlState = sqlState
        }

        static func make(hint: String?, detail: String?, sqlState: String? = nil) -> Notes? {
            hint == nil && detail == nil && sqlState == nil ? nil : Notes(hint: hint, detail: detail, sqlState: sqlState)
        }

        static func == (left: Notes, right: Notes) -> Bool {
            left.hint == right.hint && left.detail == right.detail && left.sqlState == right.sqlState
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The PostgreSQL SQLSTATE for this kind of error.
    public var sqlState: String {
        if let custom = notes?.sqlState { return custom }
        return switch code {
        case .syntaxError: "42601"
        case .undefinedTable: "42P01"
        case .undefinedColumn: "42703"
        case .undefinedObject: "42704"
        case .duplicateObject: "42710"
        case .uniqueViolation: "23505"
        case .notNullViolation: "23502"
        case .typeMismatch: "42804"
        case .invalidParameter: "22023"
        case .dataException: "22000"
        case .invalidTextRepresentation: "22P02"
        case .divisionByZero: "22012"
        case .featureNotSupported: "0A000"
        case .transactionState: "25000"
        case .inFailedTransaction: "25P02"
        case .readOnly: "25006"
        case .lockNotAvailable: "55P03"
        case .queryCanceled: "57014"
        case .serializationFailure: "40001"
        case .deadlockDetected: "40P01"
        case .idleInTransactionTimeout: "25P03"
        case .ioError: "58030"
        case .diskFull: "53100"
        case .corruption: "XX001"
        case .limitExceeded: "54000"
        case .statementTooComplex: "54001"
        case .tooManyColumns: "54011"
        case .tooManyArguments: "54023"
        case .externalRoutineInvocation: "39000"
        case .cardinalityViolation: "21000"
        case .undefinedFunction: "42883"
        case .ambiguousColumn: "42702"
        case .groupingError: "42803"
        case .invalidColumnReference: "42P10"
        case .substringError: "22011"
        case .invalidRowCount: "2201W"
        case .numericOutOfRange: "22003"
        case .internalError: "XX000"
        case .invalidRecursion: "42P19"
        case .duplicateAlias: "42712"
        case .windowingError: "42P20"
        case .invalidNtileArgument: "22014"
        case .invalidNthValueArgument: "22016"
        case .invalidFrameOffset: "22013"
        case .wrongObjectType: "42809"
        case .invalidOffsetCount: "2201X"
        case .stringDataRightTruncation: "22001"
        case .invalidDatetimeFormat: "22007"
        case .datetimeFieldOverflow: "22008"
        case .intervalFieldOverflow: "22015"
        case .generatedAlways: "428C9"
        case .invalidObjectDefinition: "42P17"
        case .noActiveTransaction: "25P01"
        case .invalidSavepoint: "3B001"
        case .invalidStatementName: "26000"
        case .invalidCursorName: "34000"
        case .duplicateCursor: "42P03"
        case .indeterminateDatatype: "42P18"
        case .nullValueNotAllowed: "22004"
        case .invalidLogarithmArgument: "2201E"
        case .invalidPowerArgument: "2201F"
        case .characterNotInRepertoire: "22021"
        case .invalidWidthBucketArgument: "2201G"
        case .ambiguousFunction: "42725"
        case .cannotCoerce: "42846"
        case .invalidEscapeSequence: "22025"
        case .duplicateTable: "42P07"
        case .activeTransaction: "25001"
        case .invalidCatalogName: "3D000"
        case .badCopyFileFormat: "22P04"
        case .sequenceGeneratorLimitExceeded: "2200H"
        case .dependentObjectsStillExist: "2BP01"
        case .invalidTableDefinition: "42P16"
        case .duplicateColumn: "42701"
        case .undefinedParameter: "42P02"
        case .checkViolation: "23514"
        case .objectNotInPrerequisiteState: "55000"
        case .withCheckOptionViolation: "44000"
        case .foreignKeyViolation: "23503"
        case .invalidForeignKey: "42830"
        case .stringDataLengthMismatch: "22026"
        case .invalidTablesampleArgument: "2202H"
        case .invalidTablesampleRepeat: "2202G"
        case .arraySubscriptError: "2202E"
        case .duplicatePreparedStatement: "42P05"
        case .invalidSchemaName: "3F000"
        case .duplicateSchema: "42P06"
        case .invalidName: "42602"
        case .invalidSQLJSONSubscript: "22033"
        case .nonNumericSQLJSONItem: "22036"
        case .singletonSQLJSONItemRequired: "22038"
        case .sqlJSONArrayNotFound: "22039"
        case .sqlJSONMemberNotFound: "2203A"
        case .sqlJSONNumberNotFound: "2203B"
        case .sqlJSONObjectNotFound: "2203C"
        case .duplicateFunction: "42723"
        case .invalidFunctionDefinition: "42P13"
        case .raiseException: "P0001"
        }
    }
}

extension VireoError {
    /// 42883 for a call no function matches, with PostgreSQL's HINT.
    public static func undefinedFunction(_ name: String, _ argumentTypes: [String]) -> VireoError {
        VireoError(.undefinedFunction, "function \(name)(\(argumentTypes.joined(separator: ", "))) does not exist",
                   hint: "No function matches the given name and argument types. You might need to add explicit type casts.")
    }

    /// 42883 for an operator no operand types match (`integer + text`), with PostgreSQL's HINT.
    public static func undefinedOperator(_ operation: String) -> VireoError {
        VireoError(.undefinedFunction, "operator does not exist: \(operation)",
                   hint: "No operator matches the given name and argument types. You might need to add explicit type casts.")
    }
    /// What every statement but ROLLBACK gets after an error inside a transaction block.
    public static func inFailedTransaction(after cause: VireoError) -> VireoError {
        VireoError(.inFailedTransaction, "current transaction is aborted, commands ignored until end of transaction block (after: \(cause.message))")
    }

    /// Text decoded from `raw`, or 22021 naming the first byte that is not UTF-8, as
    /// PostgreSQL refuses such input rather than replacing it with U+FFFD.
    public static func utf8Text(_ raw: [UInt8]) throws -> String {
        if let text = String(validating: raw, as: UTF8.self) { return text }
        throw VireoError(.characterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x" + hexByte(raw[firstInvalidUTF8(raw)]))
    }

    private static func hexByte(_ byte: UInt8) -> String {
        (byte < 16 ? "0" : "") + String(byte, radix: 16)
    }

    /// Where the first byte sequence that is not UTF-8 starts.
    static func firstInvalidUTF8(_ raw: [UInt8]) -> Int {
        var index = 0
        while index < raw.count {
            let lead = raw[index]
            let length = lead < 0x80 ? 1 : lead >> 5 == 0b110 ? 2 : lead >> 4 == 0b1110 ? 3 : lead >> 3 == 0b11110 ? 4 : 0
            guard length > 0, index + length <= raw.count,
                  String(validating: raw[index..<(index + length)], as: UTF8.self) != nil else { return index }
            index += length
        }
        return 0
    }

    static func corrupt(_ file: String, page: UInt32? = nil, _ detail: String) -> VireoError {
        let where_ = page.map { "page \($0) of '\(file)'" } ?? "'\(file)'"
        return VireoError(.corruption, "corruption in \(where_): \(detail)")
    }
}
