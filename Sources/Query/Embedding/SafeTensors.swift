// The safetensors format, as read here:
//
//   offset 0      8 bytes   N, the header length, unsigned little-endian
//   offset 8      N bytes   header: a UTF-8 JSON object
//                             "NAME": {"dtype": "F32", "shape": [d0, d1, …], "data_offsets": [begin, end]}
//                             "__metadata__": {string: string}   (optional, ignored)
//   offset 8 + N  the data: every tensor's bytes, little-endian, row-major,
//                 at [begin, end) counted from the start of the data
//
// Invariants checked on open, so no later read can leave the file's bytes:
//   1. N ≤ headerBytesMax and 8 + N ≤ the file's size;
//   2. every entry has a known dtype, a shape of non-negative sizes, and begin ≤ end ≤ data size;
//   3. end − begin = (product of the shape) × (size of the dtype).
// A file that breaks one gives a corruption error naming the file and the tensor.

import Foundation
import VireoStorage

/// A read-only safetensors file: the header parsed and validated, the data mapped.
public struct SafeTensorsFile: Sendable {
    /// The format's own limit on the JSON header (100 MB), so a garbled length cannot
    /// make us allocate or parse gigabytes.
    public static let headerBytesMax = 100_000_000

    /// One tensor's entry in the header.
    public struct TensorInfo: Sendable, Equatable {
        /// The element type as the format names it ("F32", "I64"…).
        public var dtype: String
        /// Sizes, outermost first (row-major).
        public var shape: [Int]
        /// Byte range inside the data section.
        public var dataRange: Range<Int>
    }

    /// The file's path, for error messages.
    public let path: String
    /// Every tensor the header lists, by name, already validated against the file's size.
    public let tensors: [String: TensorInfo]
    private let data: Data
    private let dataStart: Int

    static let dtypeSizeBytes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
        "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    /// Opens and validates `url`; the data is memory-mapped, not read.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw VireoError(.ioError, "cannot read safetensors file '\(url.path)': \(error.localizedDescription)")
        }
        try self.init(data: data, path: url.path)
    }

    /// Validates a safetensors image held in memory; `path` names it in errors.
    public init(data: Data, path: String) throws {
        self.path = path
        self.data = data
        guard data.count >= 8 else { throw Self.corrupt(path, "\(data.count) bytes is too short for the header length") }
        let headerBytes = data.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard headerBytes <= Self.headerBytesMax, headerBytes <= data.count - 8 else {
            throw Self.corrupt(path, "header length \(headerBytes) runs past the file's \(data.count) bytes")
        }
        dataStart = 8 + headerBytes
        let header = data.subdata(in: data.startIndex + 8..<data.startIndex + dataStart)
        tensors = try Self.parseHeader(header, dataBytes: data.count - dataStart, path: path)
    }

    /// The values of an F32 tensor, checked against the shape the caller expects.
    public func floats(_ name: String, shape expected: [Int]) throws -> [Float] {
        guard let info = tensors[name] else { throw Self.corrupt(path, "tensor '\(name)' is missing") }
        guard info.dtype == "F32" else { throw Self.corrupt(path, "tensor '\(name)' is \(info.dtype), expected F32") }
        guard info.shape == expected else {
            throw Self.corrupt(path, "tensor '\(name)' has shape \(info.shape), expected \(expected)")
        }
        let count = info.dataRange.count / 4
        let start = dataStart + info.dataRange.lowerBound  // from the start of the bytes, not of `data`'s indices
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<start + count * 4]))
            }
            #if _endian(big)
            for index in 0..<count { buffer[index] = Float(bitPattern: UInt32(littleEndian: buffer[index].bitPattern)) }
            #endif
            initialized = count
        }
    }

    static func parseHeader(_ header: Data, dataBytes: Int, path: String) throws -> [String: TensorInfo] {
        guard let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw corrupt(path, "the header is not a JSON object")
        }
        var tensors: [String: TensorInfo] = [:]
        for (name, value) in object where name != "__metadata__" {
            tensors[name] = try parseEntry(name, value, dataBytes: dataBytes, path: path)
        }
        return tensors
    }

    static func parseEntry(_ name: String, _ value: Any, dataBytes: Int, path: String) throws -> TensorInfo {
        guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
              let shape = integers(entry["shape"]), let offsets = integers(entry["data_offsets"]), offsets.count == 2
        else { throw corrupt(path, "tensor '\(name)' has no valid dtype, shape and data_offsets") }
        guard let elementBytes = dtypeSizeBytes[dtype] else { throw corrupt(path, "tensor '\(name)' has unknown dtype \(dtype)") }
        guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataBytes else {
            throw corrupt(path, "tensor '\(name)' has offsets \(offsets) outside the \(dataBytes) data bytes")
        }
        guard let bytes = byteCount(shape, elementBytes: elementBytes), bytes == offsets[1] - offsets[0] else { throw corrupt(path, "tensor '\(name)' of shape \(shape) does not fill its \(offsets[1] - offsets[0]) bytes") }
        return TensorInfo(dtype: dtype, shape: shape, dataRange: offsets[0]..<offsets[1])
    }

    /// The bytes a tensor of `shape` takes; nil when the product overflows.
    static func byteCount(_ shape: [Int], elementBytes: Int) -> Int? {
        var bytes = elementBytes
        for size in shape {
            let product = bytes.multipliedReportingOverflow(by: size)
            if product.overflow { return nil }
            bytes = product.partialValue
        }
        return bytes
    }

    /// A JSON array of integers; nil for anything else.
    static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        for element in array {
            guard let number = element as? NSNumber, let integer = Int(exactly: number.doubleValue) else { return nil }
            result.append(integer)
        }
        return result
    }

    static func corrupt(_ path: String, _ detail: String) -> VireoError {
        VireoError(.corruption, "corruption in safetensors file '\(path)': \(detail)")
    }
}
