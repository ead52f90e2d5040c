import Testing
import VireoStorage
@testable import VireoNet

@Suite("pgwire: COPY statements and formats")
struct PGCopyTests {
    @Test("COPY statements parse with their options, in the new and the old spellings")
    func parsesCommands() throws {
        let csv = try #require(try PGCopyCommand.parse("copy public.\"My Table\" (a, \"B\") from stdin with (format csv, header true, delimiter ';', null 'NA');"))
        #expect(csv.table == "My Table" && csv.schema == "public" && csv.columns == ["a", "B"] && csv.direction == .from)
        #expect(csv.quotedTable == "\"public\".\"My Table\"", "the schema reaches the INSERT COPY runs")
        #expect(csv.format == PGCopyFormat(kind: .csv, delimiter: ";", null: "NA", header: true, quote: "\""))
        let old = try #require(try PGCopyCommand.parse("COPY t TO STDOUT CSV HEADER"))
        #expect(old.schema == nil && old.quotedTable == "\"t\"")
        #expect(old.direction == .to && old.format.kind == .csv && old.format.header && old.format.delimiter == ",")
        let query = try #require(try PGCopyCommand.parse("COPY (SELECT ')' AS x FROM t) TO STDOUT"))
        #expect(query.query == "SELECT ')' AS x FROM t")
        #expect(try PGCopyCommand.parse("SELECT 1") == nil)
        #expect(throws: VireoError.self) { try PGCopyCommand.parse("COPY t FROM '/etc/passwd'") }
        #expect(try PGCopyCommand.parse("COPY t FROM STDIN (FORMAT binary)")?.format.kind == .binary)
        #expect(try PGCopyCommand.parse("COPY t TO STDOUT BINARY")?.format.kind == .binary, "the old spelling")
        #expect(throws: VireoError.self) { try PGCopyCommand.parse("COPY t FROM STDIN (FORMAT binary, DELIMITER ',')") }
        #expect(throws: VireoError.self) { try PGCopyCommand.parse("COPY t FROM STDIN (FORMAT parquet)") }
    }

    @Test("text format: escapes and NULL survive a round trip")
    func textRoundTrip() throws {
        let format = PGCopyFormat()
        let row: [Value] = [.int(1), .text("tab\there\\ and\nnewline"), .null, .text("\\N")]
        let line = format.line(row, types: [.int4, .text, .text, .text])
        #expect(line == "1\ttab\\there\\\\ and\\nnewline\t\\N\t\\\\N\n")
        var buffer = Array(line.utf8)
        let records = format.takeRecords(from: &buffer)
        #expect(buffer.isEmpty && records.count == 1)
        #expect(try format.fields(records[0]) == ["1", "tab\there\\ and\nnewline", nil, "\\N"])
        #expect(try format.fields(Array("\\x41\\101\\q".utf8)) == ["AAq"])
        #expect(try format.fields(Array("a\\\tb\tc\\xc3\\xa9\r".utf8)) == ["a\tb", "c\u{e9}\r"], "escaped delimiter, escaped UTF-8 bytes")
        #expect(try format.fields(Array("caf\u{e9}\t\u{1F600}".utf8)) == ["caf\u{e9}", "\u{1F600}"])
        let invalid = try? format.fields([0x61, 0xFF])
        #expect(invalid == nil, "bytes that are not UTF-8 are refused")
        var crlf = Array("1\tx\r\n2\ty\r\n".utf8)
        #expect(try format.takeRecords(from: &crlf).map { try format.fields($0) } == [["1", "x"], ["2", "y"]])
    }

    @Test("CSV: quoted delimiters, doubled quotes and line breaks inside quotes; empty unquoted is NULL")
    func csvRecords() throws {
        var format = PGCopyFormat()
        format.kind = .csv
        format.delimiter = ","
        format.null = ""
        var buffer = Array("1,\"a, \"\"b\"\"\nc\",\n2,\"\",x\n3,unfinish".utf8)
        let records = format.takeRecords(from: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "3,unfinish", "an unfinished record stays in the buffer")
        #expect(try records.map { try format.fields($0) } == [["1", "a, \"b\"\nc", nil], ["2", "", "x"]])
        #expect(format.line([.text("a,b"), .null, .text("")], types: [.text, .text, .text]) == "\"a,b\",,\"\"\n")
    }

    @Test("each value in its column's text format: a date without a time, a timestamptz with its offset")
    func typedText() {
        let format = PGCopyFormat()
        let micros: Int64 = 1_704_067_200_000_000 + 3_600_000_000  // 2024-01-01 01:00 UTC
        let line = format.line([.timestamp(micros - micros % 86_400_000_000), .timestamp(micros), .timestamp(micros), .double(1.1)],
                               types: [.date, .timestamptz, .timestamp, .float4])
        #expect(line == "2024-01-01\t2024-01-01 01:00:00+00\t2024-01-01 01:00:00\t1.1\n")
    }
}
