import NIOCore
import VireoQuery
import VireoStorage

/// COPY's binary format, as PostgreSQL writes and reads it: an 11-byte signature, a 32-bit
/// flags field (0: no OIDs) and a 32-bit header-extension length (0), then each row as a
/// 16-bit field count followed by each field as a 32-bit length (-1 for NULL) and the value
/// in its type's binary form (the form binary results and parameters use); a field count
/// of -1 ends the data. All integers are big-endian. pgvector-python's bulk load writes it
/// (`COPY items (embedding) FROM STDIN WITH (FORMAT BINARY)`).
enum PGCopyBinary {
    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]
    static let header: [UInt8] = signature + [0, 0, 0, 0, 0, 0, 0, 0]
    static let trailer: [UInt8] = [0xFF, 0xFF]

    /// What `takeRows` found at the front of the data.
    struct Rows {
        var rows: [[Value]] = []
        /// The trailer was read: the data ends here.
        var ended = false
    }

    /// Reads the header (when `headerRead` is false) and every complete row at the front of
    /// `buffer`, decoding field i as type `oids[i]`, and removes them; what is left is an
    /// unfinished row. 22P04 for data that is not in this format.
    static func takeRows(from buffer: inout [UInt8], headerRead: inout Bool, oids: [Int32]) throws -> Rows {
        var found = Rows()
        var position = 0
        defer { buffer.removeFirst(position) }
        if !headerRead {
            guard buffer.count >= header.count else { return found }
            guard buffer.starts(with: signature) else { throw badFormat("COPY file signature not recognized") }
            let flags = integer(buffer, at: signature.count, width: 4)
            guard flags & 0xFFFF_0000 == 0 else { throw badFormat("invalid COPY file header (WITH OIDS or unknown flags)") }
            let extensionLength = Int(integer(buffer, at: signature.count + 4, width: 4))
            guard buffer.count >= header.count + extensionLength else { return found }
            position = header.count + extensionLength
            headerRead = true
        }
        while let (row, end) = try row(in: buffer, at: position, oids: oids) {
            position = end
            guard let row else {
                found.ended = true
                return found
            }
            found.rows.append(row)
        }
        return found
    }

    /// The row starting at `start` and where it ends: nil when it is not all there yet, a
    /// nil row for the trailer.
    private static func row(in buffer: [UInt8], at start: Int, oids: [Int32]) throws -> ([Value]?, Int)? {
        guard buffer.count >= start + 2 else { return nil }
        let count = Int(Int16(bitPattern: UInt16(integer(buffer, at: start, width: 2))))
        if count == -1 { return (nil, start + 2) }
        guard count == oids.count else {
            throw badFormat("row field count is \(count), expected \(oids.count)")
        }
        var values: [Value] = []
        values.reserveCapacity(count)
        var position = start + 2
        for oid in oids {
            guard buffer.count >= position + 4 else { return nil }
            let length = Int(Int32(bitPattern: UInt32(integer(buffer, at: position, width: 4))))
            position += 4
            if length == -1 {
                values.append(.null)
                continue
            }
            guard length >= 0 else { throw badFormat("invalid field length \(length)") }
            guard buffer.count >= position + length else { return nil }
            values.append(try PGParameterDecoder.decode(ByteBuffer(bytes: buffer[position..<(position + length)]), oid: oid, binary: true))
            position += length
        }
        return (values, position)
    }

    private static func integer(_ buffer: [UInt8], at position: Int, width: Int) -> UInt64 {
        buffer[position..<(position + width)].reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func badFormat(_ message: String) -> VireoError {
        VireoError(.badCopyFileFormat, message)
    }
}

extension ByteBuffer {
    /// One row of binary COPY data, in a CopyData message after `prefix` (the header).
    mutating func writeBinaryCopyRow(_ row: [Value], types: [PGType], after prefix: [UInt8]) {
        writeMessage("d") { buffer in
            buffer.writeBytes(prefix)
            buffer.writeInteger(Int16(row.count))
            for (index, value) in row.enumerated() {
                buffer.writeValue(value, type: index < types.count ? types[index] : .text, binary: true)
            }
        }
    }

    mutating func writeCopyData(bytes: [UInt8]) {
        writeMessage("d") { $0.writeBytes(bytes) }
    }
}
