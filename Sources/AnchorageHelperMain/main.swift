import AnchorageClient
import AnchorageCrypto
import Glibc

OpenSSLLifetime.skipCleanupAtExit()

exit(HelperCommand.run(Array(CommandLine.arguments.dropFirst()), environment: HelperCommand.processEnvironment))
