namespace Medallion.Spark.Tests;

public sealed class SparkConnectRemoteTests
{
    [Fact]
    public void A_host_without_a_port_gets_spark_connects_default_port()
    {
        SparkConnectRemote remote = SparkConnectRemote.Parse("sc://spark.example.com");

        Assert.Equal(("spark.example.com", 15002, false), (remote.Host, remote.Port, remote.UseTls));
    }

    [Fact]
    public void A_token_turns_tls_on_and_is_sent_as_a_bearer_credential_never_shown()
    {
        SparkConnectRemote remote = SparkConnectRemote.Parse("sc://spark.example.com:443/;token=s3cr%3Dt;x-databricks-cluster-id=0123-abc");

        Assert.True(remote.UseTls);
        Assert.Equal("s3cr=t", remote.Token);
        Assert.Equal(new Uri("https://spark.example.com:443"), remote.Address);
        Assert.Equal("sc://spark.example.com:443/;token=***;use_ssl=true;x-databricks-cluster-id=***", remote.ToString());
    }

    [Fact]
    public void Other_parameters_become_headers_and_spark_parameters_their_settings()
    {
        SparkConnectRemote remote = SparkConnectRemote.Parse("sc://[::1]:15003/;use_ssl=false;user_id=ana;user_agent=medallion-run;session_id=00112233-4455-6677-8899-aabbccddeeff;X-Databricks-Cluster-Id=c1;grpc_max_message_size=2048");

        Assert.Equal("::1", remote.Host);
        Assert.Equal(15003, remote.Port);
        Assert.Equal(("ana", "medallion-run", Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), 2048L), (remote.UserId, remote.UserAgent, remote.SessionId, remote.MaxMessageBytes));
        Assert.Equal(new Dictionary<string, string> { ["x-databricks-cluster-id"] = "c1" }, remote.Headers);
        Assert.Equal(new Uri("http://[::1]:15003"), remote.Address);
    }

    [Theory]
    [InlineData("sc://localhost:15002/;token=t;use_ssl=false")]
    [InlineData("sc://127.0.0.2/;token=t;use_ssl=false")]
    [InlineData("sc://[::1]/;token=t;use_ssl=false")]
    public void A_token_without_tls_is_accepted_for_a_loopback_host(string text)
    {
        SparkConnectRemote remote = SparkConnectRemote.Parse(text);

        Assert.False(remote.UseTls);
        Assert.True(remote.IsLoopback);
    }

    [Fact]
    public void A_token_without_tls_to_another_machine_is_refused_without_showing_it()
    {
        var error = Assert.Throws<MedallionException>(() => SparkConnectRemote.Parse("sc://spark.example.com/;token=hunter2;use_ssl=false"));

        Assert.Equal(ErrorCode.SparkRemoteInvalid, error.Code);
        Assert.Equal("The Spark Connect address is invalid: it sends a token to 'spark.example.com' with use_ssl=false, which would put the token on the network in clear text. Expected use_ssl=true (tokens without TLS are accepted only for this machine's own loopback address).", error.Message);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://spark:15002", "it does not start with 'sc://'")]
    [InlineData("sc://", "it names no host")]
    [InlineData("sc://:15002", "it names no host")]
    [InlineData("sc://spark:0", "its port '0' is not a number from 1 to 65535")]
    [InlineData("sc://spark:65536", "its port '65536' is not a number from 1 to 65535")]
    [InlineData("sc://spark:-1", "its port '-1' is not a number from 1 to 65535")]
    [InlineData("sc://spark:15002/db", "it has the path '/db'")]
    [InlineData("sc://spark:15002?token=x", "it has a query ('?') or fragment ('#')")]
    [InlineData("sc://user:pw@spark:15002", "it has user information before '@'")]
    [InlineData("sc://[::1:15002", "its IPv6 host has no closing ']'")]
    [InlineData("sc://[spark]:15002", "'[spark]' is not an IPv6 address")]
    [InlineData("sc://spa rk:15002", "'spa rk' is not a host name or an IP address")]
    [InlineData("sc://spark/;use_ssl=yes", "'use_ssl' is 'yes'. Expected 'true' or 'false'")]
    [InlineData("sc://spark/;session_id=42", "'session_id' is '42', which is not a UUID")]
    [InlineData("sc://spark/;user_id=a;user_id=b", "the parameter 'user_id' is given twice")]
    [InlineData("sc://spark/;=x", "a parameter has no name before '='")]
    [InlineData("sc://spark/;flag", "the parameter 'flag' has no '='")]
    [InlineData("sc://spark/;bad name=x", "the parameter name 'bad name' has characters a gRPC header name cannot have")]
    [InlineData("sc://spark/;authorization=Bearer%20x", "the parameter 'authorization' would set a header that the client sets itself. Expected the credential as ';token=...'")]
    [InlineData("sc://spark/;grpc-timeout=1S", "the parameter 'grpc-timeout' would set a header that the client sets itself")]
    [InlineData("sc://spark/;trace-bin=AAAA", "the parameter 'trace-bin' would set a header that the client sets itself")]
    [InlineData("sc://spark/;grpc_max_message_size=10", "'grpc_max_message_size' is '10'. Expected a number of bytes from 1024 to 2147483647")]
    [InlineData("sc://spark/;token=", "'token' is empty")]
    public void A_malformed_address_is_refused_saying_what_is_wrong(string text, string expected)
    {
        var error = Assert.Throws<MedallionException>(() => SparkConnectRemote.Parse(text));

        Assert.Equal(ErrorCode.SparkRemoteInvalid, error.Code);
        Assert.StartsWith("The Spark Connect address is invalid: " + expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sc://spark/;x-team=a%0D%0Aauthorization:%20Bearer%20stolen")]
    [InlineData("sc://spark/;x-team=%00")]
    [InlineData("sc://spark/;x-team=caf%C3%A9")]
    public void A_header_value_that_would_smuggle_a_header_or_leave_ascii_is_refused(string text)
    {
        var error = Assert.Throws<MedallionException>(() => SparkConnectRemote.Parse(text));

        Assert.Equal("The Spark Connect address is invalid: the value of 'x-team' has a character a gRPC header cannot carry (a control character or one outside ASCII).", error.Message);
    }

    [Fact]
    public void A_raw_line_break_anywhere_is_refused()
    {
        var error = Assert.Throws<MedallionException>(() => SparkConnectRemote.Parse("sc://spark/;x-a=1\r\nx-b: 2"));

        Assert.Equal("The Spark Connect address is invalid: it has a control character at position 18; a connection string is one line of printable text.", error.Message);
    }

    [Theory]
    [InlineData("sc://spark/;token=abc%zz")]
    [InlineData("sc://spark/;token=abc%4")]
    public void A_malformed_escape_is_refused_without_echoing_the_value(string text)
    {
        var error = Assert.Throws<MedallionException>(() => SparkConnectRemote.Parse(text));

        Assert.Equal("The Spark Connect address is invalid: the value of 'token' has a malformed %-escape. Expected '%' and two hex digits.", error.Message);
    }

    [Fact]
    public void An_address_longer_than_the_limit_is_refused_before_it_is_read()
    {
        string text = "sc://spark/;x-pad=" + new string('a', SparkConnectRemote.MaxLength);

        var error = Assert.Throws<MedallionException>(() => SparkConnectRemote.Parse(text));

        Assert.Equal($"The Spark Connect address is invalid: it is {text.Length} characters long, more than the 8192 a connection string may have.", error.Message);
    }
}
