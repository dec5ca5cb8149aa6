import AnchorageClient
import AnchorageCrypto
import Foundation

OpenSSLLifetime.skipCleanupAtExit()

exit(HelperCommand.run(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment))
