import VireoStorage

/// The running state of PostgreSQL's float8 statistical aggregates (float.c): the count N,
/// Sx = Σx, Sxx = Σ(x − Sx/N)², and for pairs Sy, Syy and Sxy = Σ(x − Sx/N)(y − Sy/N).
/// Updated by the Youngs-Cramer algorithm, in PostgreSQL's order of operations, so that the
/// variances, correlations and regressions come out as PostgreSQL's do, to the last bit.
struct YoungsCramer: Sendable {
    var n = 0.0, sx = 0.0, sxx = 0.0, sy = 0.0, syy = 0.0, sxy = 0.0

    private static let overflow = VireoError(.numericOutOfRange, "value out of range: overflow")

    /// One value of a variance (float8_accum).
    mutating func add(_ x: Double) throws {
        let previousN = n, previousSx = sx
        n += 1
        sx += x
        guard previousN > 0 else {
            // A first value that is NaN or infinite makes the variance NaN, not 0.
            if !x.isFinite { sxx = .nan }
            return
        }
        let deviation = x * n - sx
        sxx += deviation * deviation / (n * previousN)
        // An overflow error only when finite inputs give an infinite sum; an infinite input
        // makes Sxx NaN.
        if sx.isInfinite || sxx.isInfinite {
            if !previousSx.isInfinite && !x.isInfinite { throw Self.overflow }
            sxx = .nan
        }
    }

    /// One pair of corr, covar_* or regr_* (float8_regr_accum); Y is the aggregates' first
    /// argument.
    mutating func add(y: Double, x: Double) throws {
        let previousN = n, previousSx = sx, previousSy = sy
        n += 1
        sx += x
        sy += y
        guard previousN > 0 else {
            if !x.isFinite { (sxx, sxy) = (.nan, .nan) }
            if !y.isFinite { (syy, sxy) = (.nan, .nan) }
            return
        }
        let deviationX = x * n - sx, deviationY = y * n - sy
        let scale = 1.0 / (n * previousN)
        sxx += deviationX * deviationX * scale
        syy += deviationY * deviationY * scale
        sxy += deviationX * deviationY * scale
        let finiteX = !previousSx.isInfinite && !x.isInfinite, finiteY = !previousSy.isInfinite && !y.isInfinite
        if ((sx.isInfinite || sxx.isInfinite) && finiteX) || ((sy.isInfinite || syy.isInfinite) && finiteY)
            || (sxy.isInfinite && finiteX && finiteY) {
            throw Self.overflow
        }
        if sxx.isInfinite { sxx = .nan }
        if syy.isInfinite { syy = .nan }
        if sxy.isInfinite { sxy = .nan }
    }

    /// The answer of a float8 variance or pair statistic; nil (SQL NULL) for too few values,
    /// and, as the standard says, for a vertical line (Sxx = 0) or, for corr, a horizontal one.
    func result(_ function: AggregateCall.Function) -> Double? {
        switch function {
        case .varPop, .stddevPop:
            guard n > 0 else { return nil }
            return function == .varPop ? sxx / n : (sxx / n).squareRoot()
        case .variance, .varSamp, .stddev, .stddevSamp:
            guard n > 1 else { return nil }
            let variance = sxx / (n - 1)
            return function == .variance || function == .varSamp ? variance : variance.squareRoot()
        case .covarSamp: return n < 2 ? nil : sxy / (n - 1)
        default: return n < 1 ? nil : pairResult(function)
        }
    }

    /// The pair statistics over at least one pair.
    private func pairResult(_ function: AggregateCall.Function) -> Double? {
        switch function {
        case .regrSxx: sxx
        case .regrSyy: syy
        case .regrSxy: sxy
        case .regrAvgx: sx / n
        case .regrAvgy: sy / n
        case .covarPop: sxy / n
        case .corr: sxx == 0 || syy == 0 ? nil : sxy / (sxx * syy).squareRoot()
        case .regrR2: sxx == 0 ? nil : (syy == 0 ? 1 : (sxy * sxy) / (sxx * syy))
        case .regrSlope: sxx == 0 ? nil : sxy / sxx
        case .regrIntercept: sxx == 0 ? nil : (sy - sx * sxy / sxx) / n
        default: nil
        }
    }
}
