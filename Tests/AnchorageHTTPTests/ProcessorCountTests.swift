import Foundation
import Testing

@testable import AnchorageHTTP

/// The servers' default loop count, computed without Foundation, must stay Foundation's figure.
@Suite struct ProcessorCountTests {
    @Test func activeCountIsFoundationsOnThisMachine() {
        #expect(ProcessorCount.active == ProcessInfo.processInfo.activeProcessorCount)
    }

    @Test func quotaRoundsUpAndNeedsBothPositive() {
        #expect(ProcessorCount.quotaCores(quota: "150000", period: "100000") == 2)
        #expect(ProcessorCount.quotaCores(quota: "100000", period: "100000") == 1)
        #expect(ProcessorCount.quotaCores(quota: "50000", period: "100000") == 1)
        #expect(ProcessorCount.quotaCores(quota: "-1", period: "100000") == nil)
        #expect(ProcessorCount.quotaCores(quota: "100000", period: "0") == nil)
        #expect(ProcessorCount.quotaCores(quota: nil, period: "100000") == nil)
        #expect(ProcessorCount.quotaCores(quota: "", period: "100000") == nil)
    }

    @Test func cpusetCountsItsFirstRangeAsFoundationDoes() {
        #expect(ProcessorCount.cpusetCores("0-3") == 4)
        #expect(ProcessorCount.cpusetCores("0-3,8-11") == 4)
        #expect(ProcessorCount.cpusetCores("5") == 1)
        #expect(ProcessorCount.cpusetCores("3-1") == nil)
        #expect(ProcessorCount.cpusetCores("") == nil)
        #expect(ProcessorCount.cpusetCores(nil) == nil)
    }
}
