import Testing
@testable import VireoIndex
