import NIOCore
import VireoQuery
import VireoStorage

/// Writers of backend messages: a type byte, an Int32 length that counts itself, a body.
extension ByteBuffer {
    /// Appends one message; `body` writes its contents and the length is filled in after.
    mutating func writeMessage(_ type: Unicode.Scalar, _ body: (inout ByteBuffer) -> Void) {
        writeInteger(UInt8(truncatingIfNeeded: type.value))
        let lengthIndex = writerIndex
        writeInteger(Int32(0))
        body(&self)
        setInteger(Int32(writerIndex - lengthIndex), at: lengthIndex)
    }

    mutating func writeCString(_ string: String) {
        writeString(string)
        writeInteger(UInt8(0))
    }

    mutating func writeAuthentication(_ code: Int32, _ payload: [UInt8] = []) {
        writeMessage("R") { $0.writeInteger(code); $0.writeBytes(payload) }
    }

    mutating func writeParameterStatus(_ name: String, _ value: String) {
        writeMessage("S") { $0.writeCString(name); $0.writeCString(value) }
    }

    mutating func writeBackendKeyData(processID: Int32, secretKey: Int32) {
        writeMessage("K") { $0.writeInteger(processID); $0.writeInteger(secretKey) }
    }

    mutating func writeReadyForQuery(_ status: TransactionStatus) {
        let code: Unicode.Scalar = switch status {
        case .idle: "I"
        case .inBlock: "T"
        case .failed: "E"
        }
        writeMessage("Z") { $0.writeInteger(UInt8(truncatingIfNeeded: code.value)) }
    }

    /// NotificationResponse: the sender's process id, the channel, the payload.
    mutating func writeNotification(_ notification: ChannelNotification) {
        writeMessage("A") { buffer in
            buffer.writeInteger(notification.processID)
            buffer.writeCString(notification.channel)
            buffer.writeCString(notification.payload)
        }
    }

    mutating func writeCommandComplete(_ tag: String) { writeMessage("C") { $0.writeCString(tag) } }
    mutating func writeEmptyQueryResponse() { writeMessage("I") { _ in } }
    mutating func writeParseComplete() { writeMessage("1") { _ in } }
    mutating func writeBindComplete() { writeMessage("2") { _ in } }
    mutating func writeCloseComplete() { writeMessage("3") { _ in } }
    mutating func writeNoData() { writeMessage("n") { _ in } }
    mutating func writePortalSuspended() { writeMessage("s") { _ in } }

    mutating func writeParameterDescription(_ oids: [Int32]) {
        writeMessage("t") { buffer in
            buffer.writeInteger(Int16(oids.count))
            for oid in oids { buffer.writeInteger(oid) }
        }
    }

    /// RowDescription: per column its name, the table and attribute number it reads unchanged
    /// (0 and 0 otherwise), its type's OID, size and modifier, and the format (0 text, 1
    /// binary) rows will use.
    mutating func writeRowDescription(_ columns: [ResultColumn], formats: [Int16]) {
        writeMessage("T") { buffer in
            buffer.writeInteger(Int16(columns.count))
            for (index, column) in columns.enumerated() {
                let type = PGType(column.type)
                let origin = column.origin
                buffer.writeCString(column.name)
                buffer.writeInteger(UInt32(truncatingIfNeeded: origin?.tableOID ?? 0))
                buffer.writeInteger(Int16(truncatingIfNeeded: origin?.attributeNumber ?? 0))
                // varchar and char(n) values are text on the wire, in both formats.
                buffer.writeInteger(origin?.textTypeOID ?? type.oid)
                buffer.writeInteger(type.sizeBytes)
                buffer.writeInteger(origin?.typeModifier ?? -1)
                buffer.writeInteger(index < formats.count ? formats[index] : 0)
            }
        }
    }

    mutating func writeDataRow(_ row: [Value], types: [PGType], formats: [Int16]) {
        writeMessage("D") { buffer in
            buffer.writeInteger(Int16(row.count))
            for (index, value) in row.enumerated() {
                let binary = index < formats.count && formats[index] == 1
                buffer.writeValue(value, type: index < types.count ? types[index] : .text, binary: binary)
            }
        }
    }

    /// ErrorResponse or NoticeResponse: severity, SQLSTATE, message and, when known, the
    /// 1-based character position in the query.
    mutating func writeError(severity: String = "ERROR", sqlState: String, message: String, position: Int? = nil,
                             hint: String? = nil, detail: String? = nil, notice: Bool = false) {
        writeMessage(notice ? "N" : "E") { buffer in
            for (code, value) in [("S", severity), ("V", severity), ("C", sqlState), ("M", message)] {
                buffer.writeInteger(Character(code).asciiValue ?? 0)
                buffer.writeCString(value)
            }
            if let position {
                buffer.writeInteger(Character("P").asciiValue ?? 0)
                buffer.writeCString(String(position))
            }
            for (code, value) in [("D", detail), ("H", hint)] {
                guard let value else { continue }
                buffer.writeInteger(Character(code).asciiValue ?? 0)
                buffer.writeCString(value)
            }
            buffer.writeInteger(UInt8(0))
        }
    }

    /// CopyInResponse / CopyOutResponse: overall format and a per-column format.
    /// CopyData carrying one line of COPY text.
    mutating func writeCopyData(_ text: String) {
        writeMessage("d") { $0.writeString(text) }
    }

    mutating func writeCopyResponse(_ type: Unicode.Scalar, columnCount: Int, binary: Bool = false) {
        writeMessage(type) { buffer in
            buffer.writeInteger(Int8(binary ? 1 : 0))
            buffer.writeInteger(Int16(columnCount))
            for _ in 0..<columnCount { buffer.writeInteger(Int16(binary ? 1 : 0)) }
        }
    }
}
