import Foundation
import Testing
@testable import VireoQuery
import VireoStorage

/// corr, covar_pop, covar_samp and the regr_ aggregates, and the float8 variances, computed
/// as PostgreSQL's float.c does (Youngs-Cramer), so the digits match. Every expected answer
/// is PostgreSQL 15's, over the same rows.
@Suite("Statistical aggregates")
struct StatisticalAggregatesTests {
    @Test("the twelve pair statistics skip pairs with a NULL, per group too")
    func pairStatistics() throws {
        let db = try GroupingSetsTests.database()
        #expect(try rows(db, "SELECT corr(y, x), covar_pop(y, x), covar_samp(y, x), regr_slope(y, x), regr_intercept(y, x), regr_r2(y, x) FROM t")
            == [["0.7924961615193192", "3.9609375", "5.28125", "1.116740088105727", "1.2643171806167395", "0.6280501660228549"]])
        #expect(try rows(db, "SELECT regr_count(y, x), regr_avgx(y, x), regr_avgy(y, x), regr_sxx(y, x), regr_syy(y, x), regr_sxy(y, x) FROM t")
            == [["4", "3.625", "5.3125", "14.187499999999998", "28.171874999999996", "15.84375"]])
        #expect(try rows(db, "SELECT a, regr_count(y, x), covar_pop(y, x), covar_samp(y, x), corr(y, x), regr_slope(y, x) FROM t GROUP BY a ORDER BY a")
            == [["1", "2", "0.375", "0.75", "1", "1.5"], ["2", "1", "0", "NULL", "NULL", "NULL"], ["3", "1", "0", "NULL", "NULL", "NULL"], ["NULL", "0", "NULL", "NULL", "NULL", "NULL"]])
        #expect(try rows(db, "SELECT regr_count(DISTINCT y, x), corr(y, x) FILTER (WHERE c > 10) FROM t")
            == [["4", "0.6141323601065036"]])
    }

    @Test("integer, numeric and unknown arguments are taken as double precision; text is 42883")
    func argumentTypes() throws {
        let db = try GroupingSetsTests.database()
        #expect(try rows(db, "SELECT corr(c, a), regr_slope(c, a), covar_samp(a, c) FROM t")
            == [["0.96312313730186", "22.142857142857146", "15.5"]])
        #expect(try rows(db, "SELECT pg_typeof(corr(a, c)), pg_typeof(regr_count(a, c)), pg_typeof(regr_sxx(x, c)) FROM t")
            == [["double precision", "bigint", "double precision"]])
        // ERROR:  42883: function corr(text, integer) does not exist
        #expect(sqlError(db, "SELECT corr(b, a) FROM t")?.sqlState == "42883")
        #expect(try rows(db, "SELECT corr(1, 2)")
            == [["NULL"]])
        #expect(try rows(db, "SELECT corr('1', '2')")
            == [["NULL"]])
    }

    @Test("no pairs, one pair, horizontal and vertical lines")
    func degenerateInputs() throws {
        let db = try GroupingSetsTests.database()
        #expect(try rows(db, "SELECT regr_count(y, x), corr(y, x), covar_pop(y, x), regr_avgx(y, x) FROM t WHERE false")
            == [["0", "NULL", "NULL", "NULL"]])
        #expect(try rows(db, "SELECT regr_r2(v, u), corr(v, u), regr_slope(v, u), regr_intercept(v, u) FROM (VALUES (1.0, 2.0), (2.0, 2.0), (3.0, 2.0)) s(u, v)")
            == [["1", "NULL", "0", "2"]])
        #expect(try rows(db, "SELECT regr_r2(v, u), corr(v, u), regr_slope(v, u) FROM (VALUES (1.0, 2.0), (1.0, 3.0)) s(u, v)")
            == [["NULL", "NULL", "NULL"]])
    }

    @Test("as window functions over a running frame")
    func windows() throws {
        let db = try GroupingSetsTests.database()
        #expect(try rows(db, "SELECT c, corr(y, x) OVER (ORDER BY c), regr_count(y, x) OVER (ORDER BY c) FROM t ORDER BY c")
            == [["10", "NULL", "1"], ["20", "1", "2"], ["30", "1", "2"], ["40", "0.982668823105255", "3"], ["50", "0.982668823105255", "3"], ["60", "0.7924961615193192", "4"]])
    }

    @Test("stddev and variance: float8 for floats, numeric for integers, NaN for infinities, 22003 on overflow")
    func variances() throws {
        let db = try GroupingSetsTests.database()
        #expect(try rows(db, "SELECT stddev(x), stddev_pop(x), variance(x), var_pop(x), stddev_samp(y), var_samp(y) FROM t")
            == [["1.981161275615895", "1.772004514666935", "3.925", "3.1399999999999997", "3.28062494046485", "10.7625"]])
        #expect(try rows(db, "SELECT pg_typeof(stddev(c)), pg_typeof(stddev(x)), pg_typeof(variance(x::real)), pg_typeof(var_pop(c::numeric)) FROM t")
            == [["numeric", "double precision", "double precision", "numeric"]])
        #expect(try rows(db, "SELECT stddev(c), variance(c), var_pop(c::numeric) FROM t")
            == [["18.7082869338697069", "350.0000000000000000", "291.6666666666666667"]])
        #expect(try rows(db, "SELECT var_pop(v), stddev(v) FROM (VALUES ('infinity'::float8), (1)) s(v)")
            == [["NaN", "NaN"]])
        // ERROR:  22003: value out of range: overflow
        #expect(sqlError(db, "SELECT var_pop(v) FROM (VALUES (1e308::float8), (-1e308::float8), (1e308::float8)) s(v)")?.sqlState == "22003")
        #expect(try rows(db, "SELECT corr(v, v) FROM (VALUES ('nan'::float8), (1)) s(v)")
            == [["NaN"]])
        // ERROR:  22003: value out of range: overflow
        #expect(sqlError(db, "SELECT covar_pop(v, v) FROM (VALUES (1e308::float8), (-1e308::float8), (1e308::float8)) s(v)")?.sqlState == "22003")
    }
}
