using System.Reflection;

namespace Medallion.TestSupport;

/// <summary>Compiled into every test project: its test classes and fixtures are disposed the way xUnit disposes them.</summary>
public sealed class TestClassDisposalTests
{
    /// <summary>
    /// xUnit v2 ends a test class or fixture with <see cref="IDisposable.Dispose"/> and <see cref="IAsyncLifetime.DisposeAsync"/>,
    /// never with <see cref="IAsyncDisposable.DisposeAsync"/>: a class that cleans up only there leaves its servers running
    /// and its temp folders behind after every test.
    /// </summary>
    [Fact]
    public void No_test_class_or_fixture_cleans_up_only_in_an_IAsyncDisposable_DisposeAsync()
    {
        Type[] types = typeof(TestClassDisposalTests).Assembly.GetTypes();
        IEnumerable<Type> fixtures = types
            .SelectMany(t => t.GetInterfaces())
            .Where(i => i.IsGenericType && (i.GetGenericTypeDefinition() == typeof(IClassFixture<>) || i.GetGenericTypeDefinition() == typeof(ICollectionFixture<>)))
            .Select(i => i.GetGenericArguments()[0]);
        IEnumerable<Type> testClasses = types.Where(t => t.IsClass && !t.IsAbstract && t.GetMethods().Any(m => m.IsDefined(typeof(FactAttribute), inherit: true)));

        Assert.Empty(testClasses.Concat(fixtures).Distinct()
            .Where(t => typeof(IAsyncDisposable).IsAssignableFrom(t) && !typeof(IAsyncLifetime).IsAssignableFrom(t))
            .Select(t => t.FullName));
    }
}
