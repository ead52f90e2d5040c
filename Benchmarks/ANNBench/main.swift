import VireoBenchANN

// The same command as `vireo bench ann`, in a binary that links only the index, so a
// release build for benchmarking does not compile the server.
BenchANN.main()
