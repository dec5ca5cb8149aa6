import Foundation

FileHandle.standardError.write(Data("anchorage-benchmark: not built yet\n".utf8))
exit(1)
