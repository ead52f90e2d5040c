import ArgumentParser
import Foundation
import VireoNet
import VireoQuery
import VireoStorage

/// `vireo user add EMAIL`: users of the AI-ETL surface (/api/v1/auth), made on a database
/// that no server has open.
struct UserCommands: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Users of the pipelines surface (/api/v1/auth).",
                                                    subcommands: [UserAdd.self])
}

struct UserAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a user; the password is asked for (or read from standard input when it is not a terminal).")

    @Argument(help: "The user's email, their login name.")
    var email: String
    @Option(help: "admin, editor or viewer.")
    var role = "viewer"
    @Option(help: "Directory of the database (as vireo serve --data).")
    var data = "./data"

    func run() throws {
        let password = try Self.password()
        let database = try Database.open(path: data + "/vireo.db")
        defer { try? database.close() }
        do {
            let user = try PipelineUsers.add(database.session(), email: email, password: password, role: role)
            print(user.text)
        } catch let error as RESTError {
            throw ValidationError(error.field.map { "\($0): " + error.message } ?? error.message)
        }
    }

    /// From the terminal without echo, twice; or the first line of standard input.
    static func password() throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("no password on standard input") }
            return line
        }
        guard let first = getpass("Password: ").map({ String(cString: $0) }), let second = getpass("Again: ").map({ String(cString: $0) }) else {
            throw ValidationError("no password given")
        }
        guard first == second else { throw ValidationError("the passwords differ") }
        return first
    }
}
