import Testing
@testable import VireoStorage
