using System.Threading;
using System.Threading.Tasks;
using MailKit.Net.Smtp;
using MailKit.Security;
using Medallion.Pipelines.Alerts;
using MimeKit;

namespace Medallion.Server.Alerts;

/// <summary>E-mail over SMTP (MailKit): STARTTLS by default, login when a username is set, one plain-text message per alert.</summary>
internal sealed class EmailAlertSender(EmailChannelDefinition channel) : IAlertSender
{
    public string Name => channel.Name;

    public async Task SendAsync(AlertMessage message, CancellationToken cancellationToken)
    {
        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse(channel.From));
        foreach (string to in channel.To)
        {
            mail.To.Add(MailboxAddress.Parse(to));
        }

        mail.Subject = message.Title;
        mail.Body = new TextPart("plain") { Text = message.Text };
        // MailKit waits two minutes for a silent server by default; the dispatcher retries sooner.
        using var smtp = new SmtpClient { Timeout = 30_000 };
        if (channel.AllowInvalidCertificate)
        {
#pragma warning disable CA5359 // Only when the project says 'allow_invalid_certificate: true' (a relay with a self-signed certificate); never by default.
            smtp.ServerCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        SecureSocketOptions security = channel.Security switch
        {
            SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
            SmtpSecurity.None => SecureSocketOptions.None,
            _ => SecureSocketOptions.StartTls,
        };
        await smtp.ConnectAsync(channel.Host, channel.Port, security, cancellationToken).ConfigureAwait(false);
        if (channel.Username is { } user && channel.Password is { } password)
        {
            await smtp.AuthenticateAsync(user, password, cancellationToken).ConfigureAwait(false);
        }

        await smtp.SendAsync(mail, cancellationToken).ConfigureAwait(false);
        await smtp.DisconnectAsync(true, cancellationToken).ConfigureAwait(false);
    }
}
