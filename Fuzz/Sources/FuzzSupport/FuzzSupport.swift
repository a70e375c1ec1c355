import CFuzzDriver
import Glibc

/// What each harness's entry point does: hand the command line and the per-input function to
/// libFuzzer. SwiftPM renames an executable's `main`, so libFuzzer's own `main` is never linked.
public func runLibFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}

/// Stops the run with `message` when a property fails. Unlike `precondition`, the message and
/// the caller's line survive release builds, so the log says which property broke.
public func require(_ condition: Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError(message(), file: file, line: line) }
}
