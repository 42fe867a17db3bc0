function p = fit(x, y)
% FIT  Least-squares line through the points (x, y).
%   p = fit(x, y) returns [slope, intercept].
  A = [x(:), ones(numel(x), 1)];
  p = (A \ y(:))';
end
