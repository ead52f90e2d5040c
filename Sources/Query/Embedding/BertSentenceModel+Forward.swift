import COpenBLAS
import Foundation

/// Scratch memory of one forward pass over a packed batch of `tokenCount` tokens.
/// Row-major throughout: row t of `hidden` is token t's hidden state.
final class BertWorkspace {
    let lengths: [Int]
    /// Index of each sequence's first token in the packed rows.
    let starts: [Int]
    let tokenCount: Int
    let hidden: UnsafeMutablePointer<Float>        // tokens × hidden
    let queryKeyValue: UnsafeMutablePointer<Float> // tokens × 3·hidden
    let context: UnsafeMutablePointer<Float>       // tokens × hidden
    let projected: UnsafeMutablePointer<Float>     // tokens × hidden
    let intermediate: UnsafeMutablePointer<Float>  // tokens × intermediate
    let scores: UnsafeMutablePointer<Float>        // longest² (one head of one sequence)

    init(_ configuration: BertConfiguration, lengths: [Int]) {
        self.lengths = lengths
        var starts: [Int] = []
        var total = 0
        for length in lengths { starts.append(total); total += length }
        self.starts = starts
        tokenCount = total
        let longest = lengths.max() ?? 0
        hidden = .allocate(capacity: total * configuration.hiddenSize)
        queryKeyValue = .allocate(capacity: total * 3 * configuration.hiddenSize)
        context = .allocate(capacity: total * configuration.hiddenSize)
        projected = .allocate(capacity: total * configuration.hiddenSize)
        intermediate = .allocate(capacity: total * configuration.intermediateSize)
        scores = .allocate(capacity: max(1, longest * longest))
    }

    deinit {
        for buffer in [hidden, queryKeyValue, context, projected, intermediate, scores] { buffer.deallocate() }
    }
}

extension BertSentenceModel {
    /// hidden[t] = LayerNorm(word[id] + position[t within its sequence] + tokenType[0]).
    func embedTokens(_ sequences: [[Int32]], into workspace: BertWorkspace) {
        let width = configuration.hiddenSize
        wordEmbeddings.withUnsafeBufferPointer { words in
            positionEmbeddings.withUnsafeBufferPointer { positions in
                tokenTypeEmbeddings.withUnsafeBufferPointer { tokenTypes in
                    for (sequence, start) in zip(sequences, workspace.starts) {
                        for (position, id) in sequence.enumerated() {
                            let row = workspace.hidden + (start + position) * width
                            let word = words.baseAddress! + Int(id) * width
                            let place = positions.baseAddress! + position * width
                            for i in 0..<width { row[i] = word[i] + place[i] + tokenTypes[i] }
                        }
                    }
                }
            }
        }
        layerNorm(workspace.hidden, rows: workspace.tokenCount, scale: embeddingNormScale, shift: embeddingNormShift)
    }

    /// One encoder layer, in place on `workspace.hidden`:
    /// h = LN(h + Attention(h)·Wo); h = LN(h + GELU(h·Wi)·Wout).
    func encode(_ layer: BertLayerWeights, _ workspace: BertWorkspace) {
        let rows = workspace.tokenCount, width = configuration.hiddenSize
        linear(workspace.hidden, rows: rows, inputs: width, layer.queryKeyValue, layer.queryKeyValueBias,
               outputs: 3 * width, into: workspace.queryKeyValue)
        attention(workspace)
        linear(workspace.context, rows: rows, inputs: width, layer.attentionOutput, layer.attentionOutputBias,
               outputs: width, into: workspace.projected)
        ActivationKernels.add(workspace.projected, into: workspace.hidden, count: rows * width)
        layerNorm(workspace.hidden, rows: rows, scale: layer.attentionNormScale, shift: layer.attentionNormShift)

        let inner = configuration.intermediateSize
        linear(workspace.hidden, rows: rows, inputs: width, layer.intermediate, layer.intermediateBias,
               outputs: inner, into: workspace.intermediate)
        ActivationKernels.gelu(workspace.intermediate, count: rows * inner)  // the erf form, as BERT's "gelu"
        linear(workspace.intermediate, rows: rows, inputs: inner, layer.output, layer.outputBias,
               outputs: width, into: workspace.projected)
        ActivationKernels.add(workspace.projected, into: workspace.hidden, count: rows * width)
        layerNorm(workspace.hidden, rows: rows, scale: layer.outputNormScale, shift: layer.outputNormShift)
    }

    /// Scaled dot-product attention per sequence and head, reading Q, K and V in place
    /// from the stacked projection (leading dimension 3·hidden) and writing each head's
    /// result into its columns of `context`.
    func attention(_ workspace: BertWorkspace) {
        let width = configuration.hiddenSize, headSize = configuration.headSize
        let stride = Int32(3 * width), scale = 1 / Float(headSize).squareRoot()
        for (start, length) in zip(workspace.starts, workspace.lengths) {
            let n = Int32(length)
            for head in 0..<configuration.headCount {
                let query = workspace.queryKeyValue + start * 3 * width + head * headSize
                let key = query + width, value = query + 2 * width
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, Int32(headSize), scale,
                            query, stride, key, stride, 0, workspace.scores, n)
                ActivationKernels.softmaxRows(workspace.scores, rows: length, columns: length)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, Int32(headSize), n, 1,
                            workspace.scores, n, value, stride, 0,
                            workspace.context + start * width + head * headSize, Int32(width))
            }
        }
    }

    /// output = input · weightᵀ + bias, with `weight` stored [outputs × inputs] as PyTorch does.
    func linear(_ input: UnsafePointer<Float>, rows: Int, inputs: Int, _ weight: [Float], _ bias: [Float],
                outputs: Int, into output: UnsafeMutablePointer<Float>) {
        bias.withUnsafeBufferPointer { bias in
            for row in 0..<rows { (output + row * outputs).update(from: bias.baseAddress!, count: outputs) }
        }
        weight.withUnsafeBufferPointer { weight in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs), 1,
                        input, Int32(inputs), weight.baseAddress, Int32(inputs), 1, output, Int32(outputs))
        }
    }

    /// The mean of each sequence's token states, scaled to unit length.
    func meanPooled(_ workspace: BertWorkspace) -> [[Float]] {
        let width = configuration.hiddenSize
        return zip(workspace.starts, workspace.lengths).map { start, length in
            var sum = [Float](repeating: 0, count: width)
            for token in start..<start + length {
                let row = workspace.hidden + token * width
                for i in 0..<width { sum[i] += row[i] }
            }
            let mean = sum.map { $0 / Float(length) }
            let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return mean.map { $0 / max(norm, 1e-12) }  // the floor torch.nn.functional.normalize uses
        }
    }
}

extension BertSentenceModel {
    /// LayerNorm of each row of the hidden width in place, with this model's epsilon.
    func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, scale: [Float], shift: [Float]) {
        ActivationKernels.layerNorm(x, rows: rows, width: configuration.hiddenSize, scale: scale, shift: shift,
                                    epsilon: configuration.layerNormEpsilon)
    }
}
