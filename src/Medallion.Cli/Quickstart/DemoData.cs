using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace Medallion.Cli.Quickstart;

/// <summary>
/// Generates the quickstart's raw files: a small Brazilian e-commerce business, deterministic
/// (fixed seed, so every run and every machine gets the same bytes) and realistically dirty.
/// </summary>
/// <remarks>
/// The dirt is deliberate, so the silver models have something to clean: customers repeated by CPF
/// with later updates, CPFs with and without punctuation and some with wrong check digits, missing
/// and malformed e-mails, money as Brazilian text (<c>R$ 1.234,56</c>), orders whose customer does
/// not exist, order status changes as separate events, and in the second batch late-arriving
/// status updates for orders of the first.
/// </remarks>
internal sealed class DemoData
{
    /// <summary>The seed that makes the data reproducible.</summary>
    public const int Seed = 20260101;

    private static readonly string[] s_firstNames =
    [
        "Ana", "Bruno", "Carla", "Diego", "Eduarda", "Felipe", "Gabriela", "Heitor", "Isabela", "João",
        "Larissa", "Lucas", "Mariana", "Mateus", "Natália", "Otávio", "Paula", "Rafael", "Sofia", "Thiago",
        "Valentina", "Vinícius", "Yasmin", "Caio", "Beatriz", "Enzo", "Lívia", "Gustavo", "Helena", "Júlia",
    ];

    private static readonly string[] s_lastNames =
    [
        "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
        "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa",
        "Araújo", "Conceição", "Gonçalves", "Moreira", "Cardoso",
    ];

    private static readonly (string City, string Uf, string AreaCode)[] s_cities =
    [
        ("São Paulo", "SP", "11"), ("Campinas", "SP", "19"), ("Rio de Janeiro", "RJ", "21"), ("Niterói", "RJ", "21"),
        ("Belo Horizonte", "MG", "31"), ("Uberlândia", "MG", "34"), ("Porto Alegre", "RS", "51"), ("Curitiba", "PR", "41"),
        ("Florianópolis", "SC", "48"), ("Salvador", "BA", "71"), ("Recife", "PE", "81"), ("Fortaleza", "CE", "85"),
        ("Brasília", "DF", "61"), ("Goiânia", "GO", "62"), ("Manaus", "AM", "92"), ("Belém", "PA", "91"),
    ];

    private static readonly (string Category, string[] Products, decimal MinPrice, decimal MaxPrice)[] s_catalog =
    [
        ("Eletrônicos", ["Fone Bluetooth", "Smartwatch", "Caixa de Som", "Carregador Turbo", "Teclado Mecânico", "Mouse Sem Fio", "Monitor 24\"", "Webcam HD"], 59.90m, 1899.00m),
        ("Casa e Cozinha", ["Cafeteira", "Liquidificador", "Jogo de Panelas", "Air Fryer", "Chaleira Elétrica", "Faqueiro Inox"], 39.90m, 899.00m),
        ("Moda", ["Camiseta Algodão", "Calça Jeans", "Tênis Corrida", "Jaqueta Corta-Vento", "Vestido Floral", "Boné"], 29.90m, 459.90m),
        ("Livros", ["Romance Clássico", "Guia de Python", "Livro de Receitas", "HQ Nacional", "Biografia", "Poesia Reunida"], 19.90m, 149.90m),
        ("Esporte", ["Bola de Futebol", "Tapete de Yoga", "Halteres 5kg", "Garrafa Térmica", "Bicicleta Aro 29", "Luvas de Goleiro"], 24.90m, 2499.00m),
        ("Beleza", ["Perfume", "Hidratante", "Secador de Cabelo", "Kit Maquiagem", "Protetor Solar"], 19.90m, 399.90m),
    ];

    private static readonly string[] s_paymentMethods = ["pix", "cartao_credito", "boleto", "cartao_debito"];

    private static readonly DateTime s_start = new(2026, 1, 5, 0, 0, 0, DateTimeKind.Utc);

    private readonly Random _random = new(Seed);
    private readonly List<Customer> _customers = [];
    private readonly List<Product> _products = [];
    private readonly List<Order> _orders = [];
    private int _nextCustomerId = 1;
    private int _nextOrderId = 100_001;

    /// <summary>What one batch wrote, for the summary the quickstart prints.</summary>
    public sealed record BatchSummary(int Batch, IReadOnlyDictionary<string, int> RowsByFile);

    private sealed record Customer(int Id, string Name, string Cpf, string? Email, string Phone, string City, string Uf, DateTime CreatedAt);

    private sealed record Product(int Id, string Name, string Category, decimal Price);

    private sealed record Order(int Id, int CustomerId, DateTime PlacedAt, List<(int ProductId, int Quantity, decimal UnitPrice)> Items, string PaymentMethod)
    {
        public string Status { get; set; } = "created";

        public DateTime LastChange { get; set; } = PlacedAt;
    }

    /// <summary>Writes the first batch (two weeks of business) under <paramref name="dataDirectory"/>.</summary>
    public BatchSummary WriteFirstBatch(string dataDirectory)
    {
        CreateProducts();
        CreateCustomers(count: 400, since: s_start.AddDays(-60), until: s_start.AddDays(14));
        var events = new List<OrderEvent>();
        CreateOrders(count: 1_500, from: s_start, days: 14, events);
        AdvanceStatuses(events, upTo: s_start.AddDays(14));
        return Write(dataDirectory, batch: 1, _customers, events, _orders);
    }

    /// <summary>
    /// Writes the second batch: a week of new orders, new and updated customers, and late status
    /// updates for orders of the first batch. Call after <see cref="WriteFirstBatch"/> on the same instance.
    /// </summary>
    public BatchSummary WriteSecondBatch(string dataDirectory)
    {
        int firstNewOrder = _nextOrderId;
        int existingCustomers = _customers.Count;
        CreateCustomers(count: 60, since: s_start.AddDays(14), until: s_start.AddDays(21));
        var updatedCustomers = UpdateSomeCustomers(count: 25, at: s_start.AddDays(16));
        var events = new List<OrderEvent>();
        CreateOrders(count: 700, from: s_start.AddDays(14), days: 7, events);
        // Late-arriving updates: orders from the first batch change status only now.
        AdvanceStatuses(events, upTo: s_start.AddDays(21));
        var newOrders = _orders.Where(o => o.Id >= firstNewOrder).ToList();
        var customers = _customers.Skip(existingCustomers).Concat(updatedCustomers).ToList();
        return Write(dataDirectory, batch: 2, customers, events, newOrders);
    }

    private void CreateProducts()
    {
        int id = 1;
        foreach ((string category, string[] names, decimal min, decimal max) in s_catalog)
        {
            foreach (string name in names)
            {
                decimal price = Math.Round(min + ((max - min) * (decimal)Math.Pow(_random.NextDouble(), 2)), 1) - 0.10m;
                _products.Add(new Product(id++, name, category, Math.Max(price, 9.90m)));
            }
        }
    }

    private void CreateCustomers(int count, DateTime since, DateTime until)
    {
        for (int i = 0; i < count; i++)
        {
            string first = Pick(s_firstNames);
            string last = Pick(s_lastNames) + (_random.NextDouble() < 0.4 ? " " + Pick(s_lastNames) : string.Empty);
            (string city, string uf, string areaCode) = Pick(s_cities);
            string cpf = _random.NextDouble() < 0.04 ? InvalidCpf() : ValidCpf();
            string formattedCpf = _random.NextDouble() < 0.5 ? FormatCpf(cpf) : cpf;
            var customer = new Customer(
                _nextCustomerId++,
                $"{first} {last}",
                formattedCpf,
                Email(first, last),
                $"({areaCode}) 9{_random.Next(1000, 9999)}-{_random.Next(1000, 9999)}",
                city,
                uf,
                Between(since, until));
            _customers.Add(customer);

            // The same person registered twice (same CPF, other punctuation, a new e-mail or phone).
            if (_random.NextDouble() < 0.06)
            {
                _customers.Add(customer with
                {
                    Id = _nextCustomerId++,
                    Cpf = customer.Cpf.Contains('.', StringComparison.Ordinal) ? Digits(customer.Cpf) : FormatCpf(customer.Cpf),
                    Email = Email(first, last),
                    CreatedAt = customer.CreatedAt.AddDays(_random.Next(1, 20)),
                });
            }
        }
    }

    private List<Customer> UpdateSomeCustomers(int count, DateTime at)
    {
        var updated = new List<Customer>();
        for (int i = 0; i < count; i++)
        {
            Customer customer = _customers[_random.Next(_customers.Count)];
            (string city, string uf, string areaCode) = Pick(s_cities);
            Customer moved = customer with
            {
                City = city,
                Uf = uf,
                Phone = $"({areaCode}) 9{_random.Next(1000, 9999)}-{_random.Next(1000, 9999)}",
                CreatedAt = at.AddHours(_random.Next(0, 96)),
            };
            updated.Add(moved);
        }

        return updated;
    }

    private void CreateOrders(int count, DateTime from, int days, List<OrderEvent> events)
    {
        for (int i = 0; i < count; i++)
        {
            // About 2% of orders point at a customer id nobody has.
            int customerId = _random.NextDouble() < 0.02 ? 90_000 + _random.Next(1, 999) : _customers[_random.Next(_customers.Count)].Id;
            DateTime placedAt = from.AddDays(_random.Next(days)).AddHours(7 + (_random.NextDouble() * 16)).AddSeconds(_random.Next(60));
            placedAt = new DateTime(placedAt.Ticks - (placedAt.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
            int lines = 1 + (int)Math.Floor(Math.Pow(_random.NextDouble(), 2) * 4);
            var items = new List<(int, int, decimal)>();
            foreach (Product product in Enumerable.Range(0, lines).Select(_ => _products[_random.Next(_products.Count)]).Distinct())
            {
                items.Add((product.Id, _random.NextDouble() < 0.8 ? 1 : _random.Next(2, 5), product.Price));
            }

            var order = new Order(_nextOrderId++, customerId, placedAt, items, Pick(s_paymentMethods));
            _orders.Add(order);
            events.Add(new OrderEvent(order.Id, order.CustomerId, "created", placedAt));
        }
    }

    /// <summary>Moves orders along created → paid → shipped → delivered (or canceled) up to a point in time.</summary>
    private void AdvanceStatuses(List<OrderEvent> events, DateTime upTo)
    {
        foreach (Order order in _orders)
        {
            while (true)
            {
                (string? next, double hours) = order.Status switch
                {
                    "created" => (_random.NextDouble() < 0.07 ? "canceled" : "paid", 0.2 + (_random.NextDouble() * 30)),
                    "paid" => ("shipped", 12 + (_random.NextDouble() * 60)),
                    "shipped" => ("delivered", 24 + (_random.NextDouble() * 140)),
                    _ => ((string?)null, 0d),
                };
                DateTime at = order.LastChange.AddHours(hours);
                if (next is null || at > upTo)
                {
                    break;
                }

                order.Status = next;
                order.LastChange = new DateTime(at.Ticks - (at.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
                events.Add(new OrderEvent(order.Id, order.CustomerId, next, order.LastChange));
            }
        }
    }

    private sealed record OrderEvent(int OrderId, int CustomerId, string Status, DateTime At);

    private BatchSummary Write(string dataDirectory, int batch, List<Customer> customers, List<OrderEvent> events, List<Order> newOrders)
    {
        string suffix = batch.ToString("D3", CultureInfo.InvariantCulture);
        var rows = new Dictionary<string, int>(StringComparer.Ordinal);

        if (batch == 1)
        {
            rows["products/products.csv"] = WriteCsv(
                Path.Combine(dataDirectory, "products", "products.csv"),
                ["product_id", "name", "category", "price"],
                _products.Select(p => new[] { Int(p.Id), p.Name, p.Category, Reais(p.Price) }));
        }

        rows[$"customers/customers_{suffix}.csv"] = WriteCsv(
            Path.Combine(dataDirectory, "customers", $"customers_{suffix}.csv"),
            ["customer_id", "name", "cpf", "email", "phone", "city", "uf", "updated_at"],
            customers.Select(c => new[] { Int(c.Id), c.Name, c.Cpf, c.Email ?? string.Empty, c.Phone, c.City, c.Uf, Timestamp(c.CreatedAt) }));

        rows[$"orders/orders_{suffix}.jsonl"] = WriteJsonLines(
            Path.Combine(dataDirectory, "orders", $"orders_{suffix}.jsonl"),
            events.OrderBy(e => e.At).Select(e => new Dictionary<string, object?>
            {
                ["order_id"] = e.OrderId,
                ["customer_id"] = e.CustomerId,
                ["status"] = e.Status,
                ["event_time"] = Timestamp(e.At),
            }));

        rows[$"order_items/order_items_{suffix}.csv"] = WriteCsv(
            Path.Combine(dataDirectory, "order_items", $"order_items_{suffix}.csv"),
            ["order_id", "product_id", "quantity", "unit_price"],
            newOrders.SelectMany(o => o.Items.Select(i => new[] { Int(o.Id), Int(i.ProductId), Int(i.Quantity), Reais(i.UnitPrice) })));

        rows[$"payments/payments_{suffix}.csv"] = WriteCsv(
            Path.Combine(dataDirectory, "payments", $"payments_{suffix}.csv"),
            ["order_id", "method", "amount", "paid_at"],
            newOrders.Select(o => new[]
            {
                Int(o.Id),
                o.PaymentMethod,
                Reais(o.Items.Sum(i => i.Quantity * i.UnitPrice)),
                Timestamp(o.PlacedAt.AddMinutes(_random.Next(1, 90))),
            }));

        return new BatchSummary(batch, rows);
    }

    private static int WriteCsv(string path, string[] header, IEnumerable<string[]> rows)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
        writer.WriteLine(string.Join(',', header));
        int count = 0;
        foreach (string[] row in rows)
        {
            writer.WriteLine(string.Join(',', row.Select(Quote)));
            count++;
        }

        return count;
    }

    private static int WriteJsonLines(string path, IEnumerable<Dictionary<string, object?>> rows)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
        var options = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        int count = 0;
        foreach (Dictionary<string, object?> row in rows)
        {
            writer.WriteLine(JsonSerializer.Serialize(row, options));
            count++;
        }

        return count;
    }

    private static string Quote(string value) =>
        value.AsSpan().IndexOfAny(",\"\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Timestamp(DateTime value) => value.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Brazilian money text: <c>R$ 1.234,56</c>.</summary>
    internal static string Reais(decimal value) => "R$ " + value.ToString("#,##0.00", CultureInfo.GetCultureInfo("pt-BR"));

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private DateTime Between(DateTime from, DateTime to)
    {
        DateTime value = from.AddSeconds(_random.NextDouble() * (to - from).TotalSeconds);
        return new DateTime(value.Ticks - (value.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }

    private string? Email(string first, string last)
    {
        double roll = _random.NextDouble();
        string user = RemoveAccents($"{first}.{last.Split(' ')[0]}").ToLowerInvariant() + _random.Next(1, 99).ToString(CultureInfo.InvariantCulture);
        return roll switch
        {
            < 0.05 => null,
            < 0.08 => user + "@gmail",
            < 0.10 => user + "gmail.com",
            < 0.12 => " " + user.ToUpperInvariant() + "@HOTMAIL.COM ",
            _ => user + "@" + Pick(["gmail.com", "hotmail.com", "outlook.com", "yahoo.com.br", "uol.com.br"]),
        };
    }

    private static string RemoveAccents(string text)
    {
        var builder = new StringBuilder();
        foreach (char c in text.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(c);
            }
        }

        return builder.ToString().Normalize(NormalizationForm.FormC);
    }

    private string ValidCpf()
    {
        Span<int> digits = stackalloc int[11];
        for (int i = 0; i < 9; i++)
        {
            digits[i] = _random.Next(10);
        }

        digits[9] = CpfCheckDigit(digits[..9]);
        digits[10] = CpfCheckDigit(digits[..10]);
        return string.Concat(digits.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture)));
    }

    private string InvalidCpf()
    {
        string valid = ValidCpf();
        int wrong = ((valid[10] - '0') + 1 + _random.Next(8)) % 10;
        return valid[..10] + wrong.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The CPF check digit over the preceding digits (weights n+1 down to 2, mod 11).</summary>
    internal static int CpfCheckDigit(ReadOnlySpan<int> digits)
    {
        int sum = 0;
        for (int i = 0; i < digits.Length; i++)
        {
            sum += digits[i] * (digits.Length + 1 - i);
        }

        int remainder = sum * 10 % 11;
        return remainder == 10 ? 0 : remainder;
    }

    private static string FormatCpf(string cpf)
    {
        string digits = Digits(cpf);
        return $"{digits[..3]}.{digits[3..6]}.{digits[6..9]}-{digits[9..]}";
    }

    private static string Digits(string cpf) => new(cpf.Where(char.IsAsciiDigit).ToArray());
}
