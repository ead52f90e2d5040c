import COpenBLAS
import CVireoSupport
import Dispatch

extension ExactSearch {
    /// Searches one block of at most `queryBlockMax` queries over every row block.
    static func runQueryBlock(
        _ queries: UnsafeBufferPointer<Float>, dimension: Int, rowCount: Int, k: Int,
        metric: VectorMetric, source: BlockSource, scratch: Scratch
    ) -> [[(id: Int, distance: Float)]] {
        let queryCount = queries.count / dimension
        let q = UnsafePointer(scratch.prepared)
        for i in 0..<queryCount {
            let query = queries.baseAddress! + i * dimension
            (scratch.prepared + i * dimension).update(from: query, count: dimension)
            scratch.queryTerms[i] = rowTerm(query, dimension, metric)
        }
        let heaps = UnsafeMutablePointer<TopKHeap<Int>>.allocate(capacity: queryCount)
        for i in 0..<queryCount { (heaps + i).initialize(to: TopKHeap(capacity: k)) }
        defer {
            for i in 0..<queryCount { heaps[i].deallocate() }
            heaps.deallocate()
        }
        var rowStart = 0
        while rowStart < rowCount {
            let count = min(rowBlockMax, rowCount - rowStart)
            let rows = block(source, start: rowStart, count: count, scratch: scratch, metric: metric)
            multiply(q, queryCount: queryCount, rows: rows, rowCount: count, dimension: dimension, into: scratch.dots)
            select(queryCount: queryCount, rowCount: count, firstRow: rowStart, dots: scratch.dots,
                   terms: rows.terms, metric: metric, heaps: heaps)
            rowStart += count
        }
        return (0..<queryCount).map { i in
            heaps[i].sorted().map { (id: $0.id, distance: finish($0.distance, queryTerm: scratch.queryTerms[i], metric)) }
        }
    }

    /// dots[i * rowCount + j] = query i · row j, by sgemv for one query, sgemm otherwise.
    static func multiply(
        _ queries: UnsafePointer<Float>, queryCount: Int, rows: Block, rowCount: Int, dimension: Int,
        into dots: UnsafeMutablePointer<Float>
    ) {
        let n = Int32(rowCount), d = Int32(dimension), lda = Int32(rows.stride)
        if queryCount == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, n, d, 1, rows.rows, lda, queries, 1, 0, dots, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(queryCount), n, d, 1,
                        queries, d, rows.rows, lda, 0, dots, n)
        }
    }

    /// Offers every score of the block to each query's heap, split over the cores
    /// when there are enough queries to pay for it.
    static func select(
        queryCount: Int, rowCount: Int, firstRow: Int, dots: UnsafeMutablePointer<Float>,
        terms: UnsafePointer<Float>, metric: VectorMetric, heaps: UnsafeMutablePointer<TopKHeap<Int>>
    ) {
        let work = SendableSelection(dots: dots, terms: terms, heaps: heaps)
        let body: @Sendable (Int) -> Void = { i in
            selectRow(work.dots + i * rowCount, rowCount: rowCount, firstRow: firstRow,
                      terms: work.terms, metric: metric, heap: &work.heaps[i])
        }
        if queryCount >= 16 {
            let parts = 2
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                var i = part
                while i < queryCount { body(i); i += parts }
            }
        } else {
            for i in 0..<queryCount { body(i) }
        }
    }

    @inline(__always)
    static func selectRow(
        _ dots: UnsafePointer<Float>, rowCount: Int, firstRow: Int, terms: UnsafePointer<Float>,
        metric: VectorMetric, heap: inout TopKHeap<Int>
    ) {
        var worst = heap.worst
        switch metric {
        case .l2:
            for j in 0..<rowCount {
                let score = terms[j] - 2 * dots[j]
                if score < worst { heap.offer(score, firstRow + j); worst = heap.worst }
            }
        case .innerProduct:
            for j in 0..<rowCount {
                let score = -dots[j]
                if score < worst { heap.offer(score, firstRow + j); worst = heap.worst }
            }
        case .cosine:
            for j in 0..<rowCount {
                let score = -dots[j] * terms[j]
                if score < worst { heap.offer(score, firstRow + j); worst = heap.worst }
            }
        }
    }

    /// Turns a selection score back into the reported distance.
    @inline(__always)
    static func finish(_ score: Float, queryTerm: Float, _ metric: VectorMetric) -> Float {
        switch metric {
        case .l2: max(0, score + queryTerm).squareRoot()
        case .innerProduct: score
        case .cosine: queryTerm > 0 ? 1 + score * queryTerm : 1
        }
    }
}

/// The raw buffers one selection pass shares with its worker threads; each worker
/// touches only its own queries' heaps.
struct SendableSelection: @unchecked Sendable {
    let dots: UnsafeMutablePointer<Float>
    let terms: UnsafePointer<Float>
    let heaps: UnsafeMutablePointer<TopKHeap<Int>>
}
