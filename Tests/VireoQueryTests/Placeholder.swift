import Testing
@testable import VireoQuery
