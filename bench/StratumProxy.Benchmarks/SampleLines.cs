namespace StratumProxy.Benchmarks;

/// <summary>Lines shaped like real traffic, the same the bench/ load generator and backend send.</summary>
internal static class SampleLines
{
    /// <summary>A ~150-byte share; id 4 as cgminer-derived firmware sends for every submit.</summary>
    public const string Submit =
        "{\"id\":4,\"method\":\"mining.submit\",\"params\":[\"bc1qbenchworkeraddress0000000000000000.rig01\"," +
        "\"6a3f1c0b\",\"00000000a1b2c3d4\",\"65f1c2a0\",\"9f3c2b1a\",\"00200000\"]}";

    /// <summary>A ~600-byte job with two merkle branches.</summary>
    public static readonly string Notify =
        "{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"1a2b3c\"," +
        "\"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000\"," +
        "\"01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008\",\"" +
        new string('0', 184) + "072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000\"," +
        "[\"a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90\"," +
        "\"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\"]," +
        "\"20000000\",\"1d00ffff\",\"504e86ed\",true]}";
}
